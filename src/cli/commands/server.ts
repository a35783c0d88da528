/** `idcenter server`: run the server. Every setting is a flag and an IDCENTER_* variable. */
import type { Command } from 'commander';
import { SERVER_FLAGS } from './server-flags.ts';

export function defineServerCommand(program: Command): void {
  const cmd = program
    .command('server')
    .description('Run the idcenter server (SSO OIDC, portal API, STS, access portal) on one origin.')
    .option(
      '--demo',
      'load examples/demo-org.yaml when the store is empty and print a banner with what to try',
    )
    .option(
      '--ready-file <file>',
      'once listening, write a JSON file with the URL, port, start URL, region and pid (for CI: start with --port 0 and wait for it)',
    );
  for (const s of SERVER_FLAGS) {
    const boolean = s.default === 'false';
    cmd.option(
      boolean ? `${s.flag} [value]` : `${s.flag} <value>`,
      `${s.description} [env ${s.env}${s.default ? `, default ${s.default}` : ''}]`,
    );
  }
  cmd.action(async (opts: Record<string, string | boolean>) => {
    const { runServer } = await import('./server-run.ts');
    await runServer(opts);
  });
}
