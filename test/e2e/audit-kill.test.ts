/**
 * Nothing is answered unaudited, even when the server is killed (SIGKILL) in the middle of a
 * stream of GetRoleCredentials: every access key id a client received has its
 * `credentials.issue` row in the store the next process opens. On SQLite the rows are group
 * committed by the audit worker thread (`storage/audit-worker.ts`), and the stream runs long
 * enough to cross SQLite's automatic checkpoint (every 1,000 log pages); on PostgreSQL each group
 * commit is one statement.
 *
 * The server is the built `bin/idcenter.js server` (run `npm run build` first), the clients
 * @aws-sdk/client-sso, 16 at a time.
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { createAppContext } from '../../src/app/context.ts';
import { ensureInstance } from '../../src/app/instance.ts';
import { openStore } from '../../src/storage/db.ts';
import { accountIds, issueBearerToken, seedOrg } from '../helpers/seed.ts';
import { freePort } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const BIN = path.resolve('bin/idcenter.js');
const CLIENTS = 16;
/** Answers to collect before the kill: several thousand log pages' worth of audit commits. */
const ANSWERS_BEFORE_KILL = 3000;

for (const kind of STORE_KINDS) {
  describe(`SIGKILL during GetRoleCredentials (${kind})`, () => {
    let temp: TempStoreUrl;
    let child: ChildProcess | null = null;

    after(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await temp?.cleanup();
    });

    it('every access key id answered before the kill has its audit row', async () => {
      temp = await tempStoreUrl(kind);
      const seeding = await openStore(temp.url, { poolSize: 2 });
      const ctx = createAppContext(seeding);
      await ensureInstance(ctx);
      const accounts = accountIds(4);
      const org = await seedOrg(ctx, {
        users: [{ userName: 'alice' }],
        accounts: accounts.map((id) => ({ id })),
        permissionSets: [{ name: 'ReadOnly' }],
        assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts }],
      });
      const { accessToken } = await issueBearerToken(ctx, { userId: org.users.alice as string });
      await seeding.close();

      const port = await freePort();
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IDCENTER_')) env[k] = v;
      Object.assign(env, {
        IDCENTER_HOST: '127.0.0.1',
        IDCENTER_PORT: String(port),
        IDCENTER_DATA_DIR: temp.dataDir,
        IDCENTER_DATABASE_URL: temp.url,
        IDCENTER_LOG_LEVEL: 'warn',
      });
      const server = spawn(process.execPath, [BIN, 'server'], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child = server;
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (
        !(await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        assert.ok(Date.now() < deadline && server.exitCode === null, 'the server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

      const answered: string[] = [];
      let killed = false;
      const sso = new SSOClient({ region: 'us-east-1', endpoint: url, maxAttempts: 1 });
      try {
        await Promise.all(
          Array.from({ length: CLIENTS }, async (_, c) => {
            for (let i = 0; !killed; i++) {
              try {
                const r = await sso.send(
                  new GetRoleCredentialsCommand({
                    accessToken,
                    accountId: accounts[(c + i) % accounts.length] as string,
                    roleName: 'ReadOnly',
                  }),
                );
                answered.push(r.roleCredentials?.accessKeyId as string);
              } catch {
                // Refused or cut off by the kill: nothing was handed over.
                if (!killed) throw new Error('GetRoleCredentials failed before the kill');
              }
              if (!killed && answered.length >= ANSWERS_BEFORE_KILL) {
                killed = true;
                server.kill('SIGKILL');
              }
            }
          }),
        );
      } finally {
        sso.destroy();
      }
      await exited;
      assert.equal(server.signalCode, 'SIGKILL');

      const store = await openStore(temp.url, { poolSize: 2 });
      try {
        const rows = await store.db
          .selectFrom('audit_events')
          .select('detail')
          .where('action', '=', 'credentials.issue')
          .execute();
        const audited = new Set(
          rows.map((r) => (JSON.parse(r.detail ?? '{}') as { accessKeyId: string }).accessKeyId),
        );
        const missing = answered.filter((k) => !audited.has(k));
        assert.ok(answered.length >= ANSWERS_BEFORE_KILL);
        assert.deepEqual(
          missing,
          [],
          `${missing.length} of ${answered.length} answered key ids have no audit row`,
        );
      } finally {
        await store.close();
      }
    });
  });
}
