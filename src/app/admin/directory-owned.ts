/**
 * One rule for what the directory owns, kept by the admin APIs (`directory.ts`, inside each
 * write's transaction) and the admin console (`web/admin/`) alike: a user or group synced from
 * the directory (Active Directory, LDAP; `source = 'directory'`) is the directory's. Its
 * attributes, status, password and existence, and a directory group's members, change there and
 * reach this server with the next sync (`app/directory/sync.ts`, which writes its own rows and
 * does not pass through here). A change made here would be undone by that sync, or would keep
 * someone in a group the directory took them out of, so it is refused with `directory_owned`
 * (identitystore: ValidationException; the console: 409) and a message that says where to make it.
 *
 * Local users may still join or leave local groups whatever their source; a local user is never
 * added to a directory group.
 */
import { DomainError } from '../../domain/errors.ts';

/** What a change would touch. */
export type OwnedChange =
  | 'user.attributes'
  | 'user.status'
  | 'user.password'
  | 'user.delete'
  | 'group.attributes'
  | 'group.delete'
  | 'group.members';

const SYNC = 'and the next directory sync brings the change here.';

const MESSAGES: Record<OwnedChange, string> = {
  'user.attributes': `This user comes from the directory, which owns their attributes: change them there, ${SYNC}`,
  'user.status': `This user comes from the directory, which decides whether they are enabled: disable or enable them there, ${SYNC}`,
  'user.password': 'This user comes from the directory: their password is set there.',
  'user.delete': `This user comes from the directory, which decides whether they exist: delete or disable them there, ${SYNC}`,
  'group.attributes': `This group comes from the directory, which owns its name and description: change them there, ${SYNC}`,
  'group.delete': `This group comes from the directory, which decides whether it exists: delete it there, ${SYNC}`,
  'group.members': `This group comes from the directory, which decides its members: change them there, ${SYNC}`,
};

/** True when a user or group row with this `source` is the directory's. */
export function isDirectoryOwned(source: string): boolean {
  return source === 'directory';
}

/** What the console says instead of offering a control the rule would refuse. */
export function directoryOwnedMessage(change: OwnedChange): string {
  return MESSAGES[change];
}

/**
 * Throws `directory_owned` when the user or group (its row's `source`) is the directory's.
 *
 * @example
 * assertOwnedHere(row.source, 'user.attributes'); // throws for a directory user
 */
export function assertOwnedHere(source: string, change: OwnedChange): void {
  if (isDirectoryOwned(source)) throw new DomainError('directory_owned', MESSAGES[change]);
}
