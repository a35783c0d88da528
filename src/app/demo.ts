/** Demo organization for `npm start`. Placeholder until organization-as-code lands. */
import type { Config } from '../config/schema.ts';
import type { AppContext } from './context.ts';

export async function loadDemoIfEmpty(_ctx: AppContext, config: Config): Promise<string> {
  return `idcenter server listening on ${config.publicUrl}\n`;
}
