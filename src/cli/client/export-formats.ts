/**
 * Credentials printed for other tools, in the formats and variable order of
 * `aws configure export-credentials` (docs/client-files.md, "Credential process output",
 * "Export formats"), and the credential_process JSON.
 *
 * Credentials that only an idcenter server accepts (the profile sends STS to a server that is
 * not AWS's) are useless pasted alone: a tool would send them to AWS. So the environment formats
 * then also set `AWS_ENDPOINT_URL_STS`, `AWS_REGION` and `AWS_DEFAULT_REGION` (`ExportTarget`).
 */
import { formatIsoOffset } from './cache.ts';

export const EXPORT_FORMATS = [
  'process',
  'env',
  'env-no-export',
  'powershell',
  'windows-cmd',
  'fish',
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportableCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** Epoch milliseconds. */
  expiration?: number | undefined;
  accountId?: string | undefined;
}

/** Where credentials that only a non-AWS server accepts must be used. */
export interface ExportTarget {
  stsEndpoint: string;
  region: string;
}

function vars(c: ExportableCredentials, target?: ExportTarget): [string, string][] {
  const out: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
  ];
  if (c.sessionToken) out.push(['AWS_SESSION_TOKEN', c.sessionToken]);
  if (c.expiration !== undefined) out.push(['AWS_CREDENTIAL_EXPIRATION', formatIsoOffset(c.expiration)]);
  if (target) {
    out.push(
      ['AWS_ENDPOINT_URL_STS', target.stsEndpoint],
      ['AWS_REGION', target.region],
      ['AWS_DEFAULT_REGION', target.region],
    );
  }
  return out;
}

/** The environment variables `exec` sets. */
export function credentialEnv(c: ExportableCredentials): Record<string, string> {
  return Object.fromEntries(vars(c));
}

/** credential_process output, Version 1 (docs/client-files.md, "Credential process output"). */
export function processJson(c: ExportableCredentials, indent = 2): string {
  const o: Record<string, unknown> = {
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
  };
  if (c.sessionToken) o.SessionToken = c.sessionToken;
  if (c.expiration !== undefined) o.Expiration = formatIsoOffset(c.expiration);
  if (c.accountId) o.AccountId = c.accountId;
  return JSON.stringify(o, null, indent);
}

/**
 * One export format. `target` (see `ExportTarget`) adds the endpoint and region to the
 * environment formats; `process` is credential_process JSON, which has no place for them (the
 * profile that runs it names its endpoints).
 */
export function formatCredentials(
  c: ExportableCredentials,
  format: ExportFormat,
  target?: ExportTarget,
): string {
  switch (format) {
    case 'process':
      return `${processJson(c)}\n`;
    case 'env':
      return vars(c, target)
        .map(([k, v]) => `export ${k}=${v}\n`)
        .join('');
    case 'env-no-export':
      return vars(c, target)
        .map(([k, v]) => `${k}=${v}\n`)
        .join('');
    case 'powershell':
      return vars(c, target)
        .map(([k, v]) => `$Env:${k}="${v}"\n`)
        .join('');
    case 'windows-cmd':
      return vars(c, target)
        .map(([k, v]) => `set ${k}=${v}\n`)
        .join('');
    case 'fish':
      return vars(c, target)
        .map(([k, v]) => `set -gx ${k} "${v}"\n`)
        .join('');
  }
}
