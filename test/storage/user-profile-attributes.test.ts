/**
 * `users.profile` keeps a user's identitystore attributes and nothing else: an UpdateUser (JS
 * SDK) stores the attributes it set, not the answer-only members of the user it changed (ids,
 * status, times); migration 026 takes those members out of profiles stored before. Both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeUserCommand, UpdateUserCommand } from '@aws-sdk/client-identitystore';
import { Migrator } from 'kysely';
import { PROFILE_ATTRIBUTES, PROFILE_NAME_PARTS } from '../../src/domain/identity/user-attributes.ts';
import { migrateToLatest, openStore } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { identityStoreClient, identityStoreId, roleCredentials, startAdminServer } from '../helpers/admin.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS, tempStoreUrl } from '../helpers/stores.ts';

const storedProfile = async (
  server: TestServer,
  userName: string,
): Promise<Record<string, unknown> | null> => {
  const row = await server.deps.ctx.store.db
    .selectFrom('users')
    .select('profile')
    .where('user_name_lower', '=', userName)
    .executeTakeFirstOrThrow();
  return row.profile === null ? null : (JSON.parse(row.profile) as Record<string, unknown>);
};

for (const kind of STORE_KINDS) {
  describe(`users.profile holds attributes only (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startAdminServer(kind);
    });
    after(async () => server?.stop());

    it('UpdateUser stores the attribute it set, and none of the members an answer adds', async () => {
      const storeId = await identityStoreId(server);
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      const { UserId } = await server.deps.ctx.store.db
        .selectFrom('users')
        .select('id as UserId')
        .where('user_name_lower', '=', 'bob')
        .executeTakeFirstOrThrow();
      await client.send(
        new UpdateUserCommand({
          IdentityStoreId: storeId,
          UserId,
          Operations: [
            { AttributePath: 'title', AttributeValue: 'Engineer' },
            { AttributePath: 'name.middleName', AttributeValue: 'Q' },
          ],
        }),
      );
      const profile = await storedProfile(server, 'bob');
      assert.ok(profile, 'the profile was written');
      const stray = Object.keys(profile).filter((k) => !PROFILE_ATTRIBUTES.includes(k));
      assert.deepEqual(stray, [], `members that are not attributes were stored: ${stray.join(', ')}`);
      assert.equal(profile.Title, 'Engineer');
      assert.deepEqual(profile.Name, { MiddleName: 'Q' });
      const described = await client.send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId }));
      assert.equal(described.Title, 'Engineer');
      assert.equal(described.Name?.MiddleName, 'Q');
      assert.equal(described.UserId, UserId);
      assert.equal(described.IdentityStoreId, storeId);
      assert.equal(described.UserName, 'bob');
    });
  });

  describe(`migration 026 cleans stored profiles (${kind})`, () => {
    it('drops the members an answer adds and keeps every attribute', async () => {
      const temp = await tempStoreUrl(kind);
      try {
        const store = await openStore(temp.url, { migrate: false });
        try {
          const migrator = new Migrator({
            db: store.db,
            provider: { getMigrations: async () => migrations },
          });
          const to = await migrator.migrateTo('025-instance-generation');
          assert.equal(to.error, undefined);
          const attributes = {
            Name: { MiddleName: 'Q', Formatted: 'Bob Q. Builder' },
            Title: 'Engineer',
            Emails: [{ Value: 'bob@example.com', Primary: true }],
            Extensions: { 'aws:identitystore:enterprise': { department: 'Build' } },
          };
          const polluted = {
            IdentityStoreId: 'd-0000000000',
            UserId: 'old-id',
            UserName: 'bob',
            DisplayName: 'Bob',
            ...attributes,
            Name: { ...attributes.Name, GivenName: 'Bob', FamilyName: 'Builder' },
            UserStatus: 'ENABLED',
            CreatedAt: 1,
            CreatedBy: 'x',
            UpdatedAt: 2,
            UpdatedBy: 'y',
          };
          const row = (id: string, userName: string, profile: string | null) => ({
            id,
            user_name: userName,
            user_name_lower: userName,
            display_name: userName,
            given_name: null,
            family_name: null,
            email: null,
            status: 'ENABLED',
            password_hash: null,
            external_id: null,
            created_at: 1,
            updated_at: 1,
            created_by: 'test',
            updated_by: 'test',
            custom_attributes: null,
            profile,
          });
          await store.db
            .insertInto('users')
            .values([
              row('u-1', 'bob', JSON.stringify(polluted)),
              row('u-2', 'carol', JSON.stringify({ UserId: 'u-2', UserStatus: 'ENABLED' })),
              row('u-3', 'dave', JSON.stringify({ Title: 'Clean' })),
            ])
            .execute();
          await migrateToLatest(store.db);
          const profiles = Object.fromEntries(
            (await store.db.selectFrom('users').select(['id', 'profile']).orderBy('id').execute()).map(
              (r) => [r.id, r.profile === null ? null : JSON.parse(r.profile)],
            ),
          );
          assert.deepEqual(profiles['u-1'], attributes);
          assert.equal(profiles['u-2'], null, 'a profile of nothing but answer members is no profile');
          assert.deepEqual(profiles['u-3'], { Title: 'Clean' });
          for (const part of Object.keys(profiles['u-1'].Name)) assert.ok(PROFILE_NAME_PARTS.includes(part));
        } finally {
          await store.close();
        }
      } finally {
        await temp.cleanup();
      }
    });
  });
}
