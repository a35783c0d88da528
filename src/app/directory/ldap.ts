/**
 * Talking to the directory with ldapts: connecting over TLS (LDAPS or StartTLS, the CA from the
 * settings) to the first server of `urls` that answers, binding as the service account, paged
 * searches, and checking a person's password by binding as them. Every failure becomes a
 * `DirectoryError` whose message says what to fix; passwords never reach a message or a log.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  AndFilter,
  Client,
  type Entry,
  EqualityFilter,
  type Filter,
  FilterParser,
  InvalidCredentialsError,
} from 'ldapts';
import {
  type BindRefusal,
  bindRefusalOf,
  type DirectorySettings,
  PAGE_SIZE,
} from '../../domain/identity/identity-source.ts';

/**
 * `unreachable`: no server answered (or TLS failed); `certificate`: a server's certificate was
 * not trusted; `service_bind`: the service account was refused; `no_password`: its variable is
 * unset; `search`: a search failed.
 */
export type DirectoryErrorKind = 'unreachable' | 'certificate' | 'service_bind' | 'no_password' | 'search';

export class DirectoryError extends Error {
  readonly kind: DirectoryErrorKind;
  constructor(kind: DirectoryErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryError';
    this.kind = kind;
  }
}

/** Attributes always read as bytes: GUIDs and SIDs are binary. */
const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid'];

function tlsOptions(settings: DirectorySettings, host: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servername: isIpAddress(host) ? undefined : host,
    minVersion: 'TLSv1.2',
  };
  if (settings.caFile) {
    try {
      options.ca = readFileSync(settings.caFile);
    } catch (err) {
      throw new DirectoryError(
        'certificate',
        `cannot read the directory's CA file ${settings.caFile}: ${(err as Error).message}`,
      );
    }
  }
  return options;
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

function isCertificateProblem(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERTIFICATE_CODES.has(code);
}

/** The password of the service account, from the variable the settings name. */
export function bindPassword(settings: DirectorySettings, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[settings.bindPasswordEnv];
  if (!value) {
    throw new DirectoryError(
      'no_password',
      `the directory's bind password is not set: set the environment variable ${settings.bindPasswordEnv}`,
    );
  }
  return value;
}

/**
 * A connected client on the first server of `urls` that answers, over TLS, not yet bound.
 * A server that cannot be reached or refuses TLS sends us to the next; when none is left the
 * error names each server's problem.
 */
async function connect(settings: DirectorySettings): Promise<{ client: Client; url: string }> {
  const problems: string[] = [];
  let certificate = false;
  for (const url of settings.urls) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const tls = tlsOptions(settings, host);
    const client = new Client({
      url,
      timeout: settings.timeoutSeconds * 1000,
      connectTimeout: settings.timeoutSeconds * 1000,
      tlsOptions: tls,
      strictDN: false,
    });
    try {
      if (url.startsWith('ldap://') && settings.startTls) await client.startTLS(tls);
      await probe(client);
      return { client, url };
    } catch (err) {
      await client.unbind().catch(() => {});
      certificate ||= isCertificateProblem(err);
      problems.push(`${url}: ${describe(err)}`);
    }
  }
  throw new DirectoryError(
    certificate ? 'certificate' : 'unreachable',
    `cannot reach the directory (${problems.join('; ')})`,
  );
}

/**
 * Open the connection (ldapts connects on the first operation) with a read of the root DSE, which
 * every server answers before a bind: a server that is down or untrusted shows here.
 */
async function probe(client: Client): Promise<void> {
  await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/**
 * Connect and bind as the service account. With `ldaps://` TLS is established before the bind;
 * with `ldap://` and StartTLS, the bind runs after the upgrade.
 */
export async function openServiceConnection(
  settings: DirectorySettings,
  password: string,
): Promise<DirectoryConnection> {
  const { client, url } = await connect(settings);
  try {
    await client.bind(settings.bindDn, password);
  } catch (err) {
    await client.unbind().catch(() => {});
    if (err instanceof InvalidCredentialsError) {
      throw new DirectoryError(
        'service_bind',
        `the directory refused the service account ${settings.bindDn} at ${url}: wrong bind DN or password (${settings.bindPasswordEnv})`,
      );
    }
    throw new DirectoryError('unreachable', `binding to ${url} failed: ${describe(err)}`, { cause: err });
  }
  return new DirectoryConnection(client, url, settings);
}

export class DirectoryConnection {
  readonly client: Client;
  readonly url: string;
  private readonly settings: DirectorySettings;
  constructor(client: Client, url: string, settings: DirectorySettings) {
    this.client = client;
    this.url = url;
    this.settings = settings;
  }

  /**
   * Every entry under `base` that `filter` matches, page by page (at most `PAGE_SIZE` each, as
   * Active Directory demands); `onPage` hears the running count.
   */
  async searchAll(
    base: string,
    filter: string | Filter,
    attributes: string[],
    onPage?: (count: number) => void,
  ): Promise<Entry[]> {
    const out: Entry[] = [];
    try {
      for await (const page of this.client.searchPaginated(base, {
        scope: 'sub',
        filter,
        attributes,
        paged: { pageSize: PAGE_SIZE },
        explicitBufferAttributes: BINARY_ATTRIBUTES.filter((a) =>
          attributes.some((x) => x.toLowerCase() === a.toLowerCase()),
        ),
      })) {
        out.push(...page.searchEntries);
        onPage?.(out.length);
      }
    } catch (err) {
      throw new DirectoryError(
        'search',
        `searching ${base} for ${typeof filter === 'string' ? filter : filter.toString()} at ${this.url} failed: ${describe(err)}`,
        { cause: err },
      );
    }
    return out;
  }

  /**
   * The entries of users named `userName` under the user base: the user filter AND an equality
   * on the user name attribute. The name travels as an attribute value in the request (never
   * spliced into filter text), so no character of it can change the filter.
   */
  async findUser(userName: string, attributes: string[]): Promise<Entry[]> {
    const filter = new AndFilter({
      filters: [
        FilterParser.parseString(this.settings.userFilter),
        new EqualityFilter({ attribute: this.settings.attributes.userName, value: userName }),
      ],
    });
    return this.searchAll(this.settings.userBaseDn, filter, attributes);
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => {});
  }
}

/** The answer to a person's bind: accepted, or refused with Active Directory's reason. */
export type BindResult = { ok: true } | { ok: false; refusal: BindRefusal };

/**
 * Check `password` by binding as `dn` on a connection of its own (a bind changes who the
 * connection acts as). An empty password is refused here: LDAP treats it as an anonymous bind,
 * which succeeds without checking anything.
 *
 * @throws DirectoryError when no server can be reached
 */
export async function bindAs(settings: DirectorySettings, dn: string, password: string): Promise<BindResult> {
  if (password.length === 0) return { ok: false, refusal: 'bad_credentials' };
  const { client } = await connect(settings);
  try {
    await client.bind(dn, password);
    return { ok: true };
  } catch (err) {
    if (err instanceof InvalidCredentialsError) return { ok: false, refusal: bindRefusalOf(err.message) };
    throw new DirectoryError('unreachable', `the directory did not answer the bind: ${describe(err)}`, {
      cause: err,
    });
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** The first value of an attribute as text (binary GUIDs are formatted by the caller). */
export function textOf(entry: Entry, attribute: string): string | undefined {
  const v = attributeValue(entry, attribute);
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Every value of an attribute as text. */
export function textsOf(entry: Entry, attribute: string): string[] {
  const v = attributeValue(entry, attribute);
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? x : x.toString('utf8')));
}

/** The first value of an attribute as bytes, or undefined. */
export function bytesOf(entry: Entry, attribute: string): Buffer | undefined {
  const v = attributeValue(entry, attribute);
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? Buffer.from(first, 'utf8') : first;
}

/** Attribute names are case-insensitive; servers answer in their own case. */
function attributeValue(entry: Entry, attribute: string): Entry[string] | undefined {
  if (attribute in entry) return entry[attribute];
  const lower = attribute.toLowerCase();
  for (const key of Object.keys(entry)) if (key.toLowerCase() === lower) return entry[key];
  return undefined;
}
