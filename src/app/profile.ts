/**
 * What the profile page shows of a person: their directory details and their confirmed MFA
 * devices (their sessions come from `sessions.ts`).
 */
import type { AppContext } from './context.ts';

export interface ProfileUser {
  userName: string;
  displayName: string;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  userId: string;
  createdAt: number;
  /** The directory entry (DN) the user comes from, or null for a user of this server. */
  directoryDn: string | null;
}

export interface ProfileDevice {
  id: string;
  kind: string;
  label: string;
  confirmedAt: number;
}

/** The person's directory details and confirmed MFA devices; null when the user is gone. */
export async function loadProfile(
  ctx: AppContext,
  userId: string,
): Promise<{ user: ProfileUser; devices: ProfileDevice[] } | null> {
  const u = await ctx.store.db
    .selectFrom('users')
    .select([
      'id',
      'user_name',
      'display_name',
      'given_name',
      'family_name',
      'email',
      'created_at',
      'source',
      'directory_dn',
    ])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!u) return null;
  const devices = await ctx.store.db
    .selectFrom('mfa_devices')
    .select(['id', 'kind', 'label', 'confirmed_at'])
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .orderBy('created_at')
    .execute();
  return {
    user: {
      userId: u.id,
      userName: u.user_name,
      displayName: u.display_name,
      givenName: u.given_name,
      familyName: u.family_name,
      email: u.email,
      createdAt: u.created_at,
      directoryDn: u.source === 'directory' ? (u.directory_dn ?? '') : null,
    },
    devices: devices.map((d) => ({
      id: d.id,
      kind: d.kind,
      label: d.label,
      confirmedAt: d.confirmed_at ?? 0,
    })),
  };
}
