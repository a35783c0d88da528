/**
 * The SSO token cache, the client-registration cache (both in `~/.aws/sso/cache`) and the role
 * credential cache (`~/.aws/cli/cache`), with botocore's and the AWS CLI v2's file names, fields
 * and timestamp formats (docs/client-files.md, "SSO token cache", "Client registration cache",
 * "Role credential cache"), so every AWS tool shares them with us.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './files.ts';
import { cliCacheDir, ssoCacheDir } from './paths.ts';
import { type PyJson, pyDumps } from './pyjson.ts';

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** Token cache key: SHA-1 of the session name, or of the start URL exactly as configured. */
export function tokenCacheKey(ref: { sessionName?: string | undefined; startUrl: string }): string {
  return sha1(ref.sessionName ?? ref.startUrl);
}

/** Registration cache key: SHA-1 of Python's json.dumps(args, sort_keys=True). */
export function registrationCacheKey(args: {
  startUrl: string;
  region: string;
  scopes: readonly string[] | undefined;
  sessionName: string | undefined;
}): string {
  return sha1(
    pyDumps(
      {
        tool: 'botocore',
        startUrl: args.startUrl,
        region: args.region,
        scopes: args.scopes ? [...args.scopes] : null,
        session_name: args.sessionName ?? null,
      },
      { sortKeys: true },
    ),
  );
}

/** Role credential cache key (AWS CLI v2): SHA-1 of compact sorted JSON. */
export function credentialCacheKey(args: {
  accountId: string;
  roleName: string;
  sessionName?: string | undefined;
  startUrl: string;
}): string {
  const input: Record<string, PyJson> = { accountId: args.accountId, roleName: args.roleName };
  if (args.sessionName !== undefined) input.sessionName = args.sessionName;
  else input.startUrl = args.startUrl;
  return sha1(pyDumps(input, { sortKeys: true, compact: true })).replace(/[:/\\]/g, '_');
}

// ---- timestamps ----

/** `YYYY-MM-DDTHH:MM:SSZ`, what botocore writes. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Python `isoformat()` of a UTC datetime: `2026-11-28T07:27:34+00:00` (export-credentials). */
export function formatIsoOffset(ms: number): string {
  return formatTimestamp(ms).replace(/Z$/, '+00:00');
}

/**
 * Parse any timestamp form AWS tools write (`…Z`, `….sssZ`, `…UTC`, `+00:00`); undefined when
 * unreadable.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.trim().replace(/UTC$/, 'Z');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---- files ----

/** A cached SSO token as botocore and the JS SDK read it. */
export interface CachedToken {
  startUrl?: string;
  region?: string;
  accessToken: string;
  expiresAt: string;
  clientId?: string;
  clientSecret?: string;
  registrationExpiresAt?: string;
  refreshToken?: string;
  [other: string]: unknown;
}

export interface CachedRegistration {
  clientId: string;
  clientSecret: string;
  expiresAt: string;
  scopes?: string[];
  grantTypes?: string[];
}

export interface CachedCredentials {
  ProviderType: 'sso';
  Credentials: {
    AccessKeyId: string;
    SecretAccessKey: string;
    SessionToken: string;
    Expiration: string;
    AccountId?: string;
  };
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Write a cache file the way botocore does: compact `json.dumps`, 0600, atomic. */
export function writeJsonFile(file: string, value: PyJson): void {
  writeFileAtomic(file, pyDumps(value), { mode: 0o600, dirMode: 0o700 });
}

/** A folder of JSON cache files, each named by its key. */
class JsonCacheDir {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /** Every `.json` file of the folder that can be read, in name order, with its parsed value. */
  protected entries(): { file: string; value: unknown }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { file: string; value: unknown }[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      try {
        out.push({ file, value: readJsonFile(file) });
      } catch {
        // unreadable (a folder, no permission): skipped, like the AWS CLI
      }
    }
    return out;
  }
}

export class SsoCache extends JsonCacheDir {
  constructor(env: NodeJS.ProcessEnv) {
    super(ssoCacheDir(env));
  }

  readToken(key: string): CachedToken | undefined {
    const v = readJsonFile(this.file(key));
    if (!v || typeof v !== 'object') return undefined;
    const t = v as CachedToken;
    if (typeof t.accessToken !== 'string' || typeof t.expiresAt !== 'string') return undefined;
    return t;
  }

  writeToken(key: string, token: CachedToken): void {
    writeJsonFile(this.file(key), token as unknown as PyJson);
  }

  readRegistration(key: string): CachedRegistration | undefined {
    const v = readJsonFile(this.file(key));
    if (!v || typeof v !== 'object') return undefined;
    const r = v as CachedRegistration;
    if (typeof r.clientId !== 'string' || typeof r.clientSecret !== 'string') return undefined;
    return r;
  }

  writeRegistration(key: string, reg: CachedRegistration): void {
    writeJsonFile(this.file(key), reg as unknown as PyJson);
  }

  removeFile(file: string): void {
    fs.rmSync(file, { force: true });
  }

  /** Every cache file that holds a token (registrations have no accessToken). */
  listTokens(): { file: string; token: CachedToken }[] {
    const out: { file: string; token: CachedToken }[] = [];
    for (const { file, value } of this.entries()) {
      if (value && typeof value === 'object' && typeof (value as CachedToken).accessToken === 'string') {
        out.push({ file, token: value as CachedToken });
      }
    }
    return out;
  }
}

export class CredentialCache extends JsonCacheDir {
  constructor(env: NodeJS.ProcessEnv) {
    super(cliCacheDir(env));
  }

  read(key: string): CachedCredentials | undefined {
    let v: unknown;
    try {
      v = readJsonFile(this.file(key));
    } catch {
      return undefined;
    }
    if (!v || typeof v !== 'object') return undefined;
    const c = v as CachedCredentials;
    const k = c.Credentials;
    if (c.ProviderType !== 'sso' || !k || typeof k.AccessKeyId !== 'string') return undefined;
    if (typeof k.SecretAccessKey !== 'string' || typeof k.SessionToken !== 'string') return undefined;
    return c;
  }

  write(key: string, value: CachedCredentials): void {
    writeJsonFile(this.file(key), value as unknown as PyJson);
  }

  remove(key: string): void {
    fs.rmSync(this.file(key), { force: true });
  }

  /** Delete every cached SSO role credential (what `aws sso logout` does); returns how many. */
  removeAllSso(): number {
    let n = 0;
    for (const { file, value } of this.entries()) {
      if (
        value &&
        typeof value === 'object' &&
        (value as { ProviderType?: unknown }).ProviderType === 'sso'
      ) {
        fs.rmSync(file, { force: true });
        n++;
      }
    }
    return n;
  }
}
