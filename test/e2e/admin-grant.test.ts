/**
 * A first administrator from the server host: `idcenter admin grant` through the store makes the
 * permission set one of the administrators' and assigns it; the user's role credentials then
 * call the admin APIs. An organization file's `administrators:` names only permission sets it
 * defines, and `apply` sets and clears the mark. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListUsersCommand } from '@aws-sdk/client-identitystore';
import { parseOrgFile } from '../../src/app/org-file/index.ts';
import { identityStoreClient, identityStoreId, outcome, roleCredentials } from '../helpers/admin.ts';
import { applyText, idcenter } from '../helpers/apply.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ORG = `
accounts:
  - { id: "111111111111", name: Management, email: mgmt@example.com }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
permissionSets:
  - { name: Admins, managedPolicies: ["arn:aws:iam::aws:policy/AWSSSODirectoryAdministrator"] }
`;

describe('the administrators key of the organization file', () => {
  it('names only permission sets the file defines', () => {
    const parsed = parseOrgFile(`${ORG}administrators: { permissionSets: [Admins, Nobody] }\n`);
    assert.equal(parsed.ok, false);
    assert.ok(
      !parsed.ok && parsed.problems.some((p) => /permission set "Nobody" is not defined/.test(p.message)),
      JSON.stringify(parsed),
    );
    const unknown = parseOrgFile(`${ORG}administrators: { permisionSets: [Admins] }\n`);
    assert.equal(unknown.ok, false);
  });
});

for (const kind of STORE_KINDS) {
  describe(`idcenter admin grant (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        store: kind,
        seed: async (deps) => void (await applyText(deps.ctx, ORG)),
      });
    });
    after(async () => server?.stop());

    it('makes a first administrator whose credentials call the admin APIs', async () => {
      const url = server.config.databaseUrl;
      const missing = await idcenter([
        'admin',
        'grant',
        '--user',
        'nobody',
        '--account',
        '111111111111',
        '--permission-set',
        'Admins',
        '--database-url',
        url,
      ]);
      assert.equal(missing.code, 254, missing.stderr);
      assert.match(missing.stderr, /no user named "nobody"/);

      const granted = await idcenter([
        'admin',
        'grant',
        '--user',
        'alice',
        '--account',
        '111111111111',
        '--permission-set',
        'admins',
        '--database-url',
        url,
      ]);
      assert.equal(granted.code, 0, granted.stderr);
      assert.match(granted.stdout, /may now call the admin APIs/);
      const again = await idcenter([
        'admin',
        'grant',
        '--user',
        'alice',
        '--account',
        '111111111111',
        '--permission-set',
        'Admins',
        '--database-url',
        url,
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /already had Admins/);

      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Admins'));
      try {
        assert.equal(
          await outcome(
            client.send(new ListUsersCommand({ IdentityStoreId: await identityStoreId(server) })),
          ),
          'ok',
        );
      } finally {
        client.destroy();
      }
      const audit = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select('action')
        .where('actor', '=', 'cli:admin')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((a) => a.action),
        ['permission_set.update', 'assignment.create'],
      );
    });

    it('apply of a file whose administrators leave the permission set out takes the mark away', async () => {
      const result = await applyText(
        server.deps.ctx,
        `${ORG}administrators: { permissionSets: [] }\nassignments:\n  - { user: alice, permissionSet: Admins, accounts: ["111111111111"] }\n`,
      );
      assert.ok(result);
      const client = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Admins'));
      try {
        assert.equal(
          await outcome(
            client.send(new ListUsersCommand({ IdentityStoreId: await identityStoreId(server) })),
          ),
          'AccessDeniedException',
        );
      } finally {
        client.destroy();
      }
    });
  });
}
