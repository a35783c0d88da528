import type { Kysely, Migration } from 'kysely';

/**
 * `users.profile` holds a user's identitystore attributes only. UpdateUser used to store the
 * whole user as DescribeUser answers it, so profiles written that way also hold the members an
 * answer adds (ids, status, times, and the user name and display name, which are columns): this
 * takes them out. The list is written out here, as it stood when this migration was written.
 */
const ATTRIBUTES = new Set([
  'Name',
  'NickName',
  'ProfileUrl',
  'Emails',
  'Addresses',
  'PhoneNumbers',
  'UserType',
  'Title',
  'PreferredLanguage',
  'Locale',
  'Timezone',
  'Photos',
  'Website',
  'Birthdate',
  'Roles',
  'Extensions',
]);
const NAME_PARTS = new Set(['Formatted', 'MiddleName', 'HonorificPrefix', 'HonorificSuffix']);

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The profile with its attributes alone, or null when none is left; undefined when unchanged. */
function cleaned(text: string): string | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // not ours to judge: readers already skip a profile they cannot parse
  }
  if (!isMapping(parsed)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!ATTRIBUTES.has(k) || v === undefined || v === null) continue;
    if (k === 'Name' && isMapping(v)) {
      const name = Object.fromEntries(Object.entries(v).filter(([part]) => NAME_PARTS.has(part)));
      if (Object.keys(name).length > 0) out.Name = name;
    } else out[k] = v;
  }
  const next = Object.keys(out).length > 0 ? JSON.stringify(out) : null;
  return next === text ? undefined : next;
}

export const m026UserProfileAttributes: Migration = {
  async up(untyped: Kysely<unknown>) {
    const db = untyped as Kysely<{ users: { id: string; profile: string | null } }>;
    let after = '';
    for (;;) {
      const rows = await db
        .selectFrom('users')
        .select(['id', 'profile'])
        .where('profile', 'is not', null)
        .where('id', '>', after)
        .orderBy('id')
        .limit(1000)
        .execute();
      for (const row of rows) {
        const next = row.profile === null ? undefined : cleaned(row.profile);
        if (next !== undefined)
          await db.updateTable('users').set({ profile: next }).where('id', '=', row.id).execute();
      }
      const last = rows.at(-1);
      if (!last) break;
      after = last.id;
    }
  },
};
