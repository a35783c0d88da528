/**
 * The demo organization for `npm start` (docs/decisions.md, "Defaults and the demo organization"):
 * `examples/demo-org.yaml` is applied only when the store has no users and no accounts, and the
 * banner says where to go and what to type, with the endpoint overrides the stock AWS clients need.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import { applyOrg } from './apply/index.ts';
import type { AppContext } from './context.ts';
import { formatProblem, parseOrgFile } from './org-file/index.ts';

export const DEMO_USER = 'alice';
export const DEMO_PASSWORD = 'idcenter-demo-1';

/** `examples/demo-org.yaml`, from the source tree (src/app) or the bundle (dist/chunks). */
export function demoFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, '..', '..', 'examples', 'demo-org.yaml'),
    path.join(here, '..', 'examples', 'demo-org.yaml'),
  ];
  for (const candidate of candidates) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`examples/demo-org.yaml not found near ${here}`);
}

async function isEmpty(ctx: AppContext): Promise<boolean> {
  const [users, accounts] = await Promise.all([
    ctx.store.db.selectFrom('users').select('id').limit(1).execute(),
    ctx.store.db.selectFrom('accounts').select('id').limit(1).execute(),
  ]);
  return users.length === 0 && accounts.length === 0;
}

/**
 * Load the demo organization into an empty store and return the banner to print.
 *
 * @example process.stderr.write(await loadDemoIfEmpty(deps.ctx, deps.config));
 */
export async function loadDemoIfEmpty(ctx: AppContext, config: Config): Promise<string> {
  let loaded = false;
  if (await isEmpty(ctx)) {
    const file = demoFile();
    const parsed = parseOrgFile(fs.readFileSync(file, 'utf8'));
    if (!parsed.ok) throw new Error(`${file} is invalid: ${parsed.problems.map(formatProblem).join('; ')}`);
    await applyOrg(ctx, parsed.org, { actor: 'system:demo' });
    loaded = true;
  }
  return demoBanner(config, loaded);
}

export function demoBanner(config: Config, loaded: boolean): string {
  const url = config.publicUrl;
  const lines = [
    '',
    `idcenter is running at ${url}`,
    '',
    `  Access portal  ${config.startUrl}`,
    `  Start URL      ${config.startUrl}`,
    `  SSO region     ${config.region}`,
    loaded
      ? `  Demo user      ${DEMO_USER}   password ${DEMO_PASSWORD}   (examples/demo-org.yaml was loaded)`
      : `  Demo user      ${DEMO_USER}   password ${DEMO_PASSWORD}   (the store already had data; the demo was not loaded again)`,
    '',
    'Point the stock AWS CLI and SDKs at this server (in each shell you use):',
    '',
    `  export AWS_ENDPOINT_URL_SSO=${url}`,
    `  export AWS_ENDPOINT_URL_SSO_OIDC=${url}`,
    `  export AWS_ENDPOINT_URL_STS=${url}`,
    '',
    'Install the idcenter client from this server (Node.js 20 or newer; in this clone ./bin/idcenter.js is the same),',
    'then sign in and get credentials:',
    '',
    `  npm install -g ${url}/client/idcenter-client.tgz`,
    `  idcenter configure sso --profile demo         # start URL ${config.startUrl}, region ${config.region}`,
    '  aws sts get-caller-identity --profile demo    # the stock AWS CLI, from the files configure sso wrote',
    '  idcenter sso login --profile demo             # sign in again later (aws sso login works too, see below)',
    '',
    'AWS CLI v2 2.35.13 and later accept only an https start URL in aws configure sso and aws sso login:',
    'run the server with --tls and export AWS_CA_BUNDLE, or restart it with',
    'IDCENTER_START_URL_ALIASES=https://d-0000000000.awsapps.com/start and give that URL as the start URL',
    '(README, "Start URLs and stock AWS CLI v2").',
    '',
    'Change the organization: edit a copy of examples/demo-org.yaml and run ./bin/idcenter.js apply -f <file>',
    '(from the clone, or `idcenter apply` where the full idcenter package is installed)',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
