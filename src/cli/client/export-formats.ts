/**
 * Credentials printed for other tools, in the formats and variable order of
 * `aws configure export-credentials` (docs/client-files.md, "Credential process output",
 * "Export formats"), and the credential_process JSON.
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

function vars(c: ExportableCredentials): [string, string][] {
  const out: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
  ];
  if (c.sessionToken) out.push(['AWS_SESSION_TOKEN', c.sessionToken]);
  if (c.expiration !== undefined) out.push(['AWS_CREDENTIAL_EXPIRATION', formatIsoOffset(c.expiration)]);
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

export function formatCredentials(c: ExportableCredentials, format: ExportFormat): string {
  switch (format) {
    case 'process':
      return `${processJson(c)}\n`;
    case 'env':
      return vars(c)
        .map(([k, v]) => `export ${k}=${v}\n`)
        .join('');
    case 'env-no-export':
      return vars(c)
        .map(([k, v]) => `${k}=${v}\n`)
        .join('');
    case 'powershell':
      return vars(c)
        .map(([k, v]) => `$Env:${k}="${v}"\n`)
        .join('');
    case 'windows-cmd':
      return vars(c)
        .map(([k, v]) => `set ${k}=${v}\n`)
        .join('');
    case 'fish':
      return vars(c)
        .map(([k, v]) => `set -gx ${k} "${v}"\n`)
        .join('');
  }
}
