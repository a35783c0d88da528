/**
 * A directory user's password, checked by the directory: find the person's entry with the
 * service account (on a pooled connection, `pool.ts`) (the user filter AND the user name, sent as a value, never as filter text),
 * make sure it is the entry the sync brought (same external id), then bind as it over TLS. The
 * password is never stored here and never logged.
 */
import type { BindRefusal, DirectorySettings } from '../../domain/identity/identity-source.ts';
import { formatGuid } from '../../domain/identity/identity-source.ts';
import type { AppContext } from '../context.ts';
import { bindAs, bindPassword, bytesOf, type DirectoryConnection, DirectoryError, textOf } from './ldap.ts';
import { loadIdentitySource } from './settings.ts';

/**
 * `ok`; `bad_credentials` (also a person no longer in the directory); `refused` with Active
 * Directory's reason (expired, must change, locked…); `unavailable`: the directory could not be
 * asked (unreachable, certificate, service account), with the reason for the log.
 */
export type DirectoryCheck =
  | { kind: 'ok' }
  | { kind: 'bad_credentials'; reason: string }
  | { kind: 'refused'; refusal: Exclude<BindRefusal, 'bad_credentials'> }
  | { kind: 'unavailable'; reason: string };

export async function verifyDirectoryPassword(
  ctx: AppContext,
  user: { user_name: string; external_id: string | null },
  password: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DirectoryCheck> {
  const settings = await loadIdentitySource(ctx.store.db);
  if (settings.kind === 'builtIn') {
    return { kind: 'unavailable', reason: 'the identity source is no longer a directory' };
  }
  try {
    const dn = await ctx.memory.directoryConnections.withConnection(
      settings,
      bindPassword(settings, env),
      (conn) => findEntryDn(conn, settings, user),
    );
    if (typeof dn !== 'string') return { kind: 'bad_credentials', reason: dn.missing };
    const result = await bindAs(settings, dn, password);
    if (result.ok) return { kind: 'ok' };
    if (result.refusal === 'bad_credentials') return { kind: 'bad_credentials', reason: 'bad_password' };
    return { kind: 'refused', refusal: result.refusal };
  } catch (err) {
    if (err instanceof DirectoryError) return { kind: 'unavailable', reason: `${err.kind}: ${err.message}` };
    throw err;
  }
}

/**
 * The DN of the person's entry, when exactly one entry under the user base has their name and
 * the external id the sync brought; else why not.
 */
async function findEntryDn(
  conn: DirectoryConnection,
  settings: DirectorySettings,
  user: { user_name: string; external_id: string | null },
): Promise<string | { missing: 'not_in_directory' | 'entry_changed' }> {
  const attribute = settings.attributes.externalId;
  const entries = await conn.findUser(user.user_name, [attribute]);
  const matching = entries.filter((e) => {
    if (attribute.toLowerCase() === 'objectguid') {
      const bytes = bytesOf(e, attribute);
      return bytes !== undefined && formatGuid(bytes) === user.external_id;
    }
    return textOf(e, attribute) === user.external_id;
  });
  if (matching.length !== 1) return { missing: entries.length === 0 ? 'not_in_directory' : 'entry_changed' };
  return matching[0]?.dn ?? { missing: 'not_in_directory' };
}
