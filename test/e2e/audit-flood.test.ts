/**
 * Anyone could fill the audit log. An unsigned request with a junk Authorization
 * header wrote a row echoing ~14 KB of the attacker's text, every time. Now, on SQLite and
 * PostgreSQL: rows of unauthenticated failures hold at most 256 characters of what the client
 * sent, repeats from one address are counted into one row a minute (written when the minute
 * ends or the server closes), authenticated events in between are still written one by one,
 * metrics still count every failure, and `idcenter audit tail` shows the counts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import type { Kysely } from 'kysely';
import { runAuditTail } from '../../src/cli/commands/sessions-run.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore } from '../../src/storage/db.ts';
import type { AuditEventRow, Database } from '../../src/storage/schema.ts';
import { csrfOf, eventCount, FormClient, seedUser } from '../helpers/oidc.ts';
import { issueBearerToken, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

/** 5 s into a minute, so the first minute's failures share one window. */
const T0 = Date.UTC(2026, 10, 28, 12, 0, 5);
const ACCOUNT = '111111111111';
const PASSWORD = 'Tr0ub4dor&3-long-enough';
/** 14 KB of junk where the signature should be, as the flooding client sent. */
const JUNK_AUTHORIZATION = `AWS4-HMAC-SHA256-${'J'.repeat(14 * 1024)}`;
/** A made-up user name (the page takes up to 128 characters) with a bidi override. */
const MADE_UP_USER = `\u202Eghost-${'g'.repeat(120)}`;
const MINUTE = 60_000;

interface Detail {
  code?: string;
  reason?: string;
  accessKeyId?: string | null;
  userName?: string;
  truncated?: boolean;
  clientTextLength?: number;
  repeated?: { count: number; first: string; last: string };
}

/** The audit rows of an action, oldest first. */
const rowsOf = (db: Kysely<Database>, action: string) =>
  db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute();
const detailOf = (r: AuditEventRow) => JSON.parse(r.detail ?? '{}') as Detail;
for (const kind of STORE_KINDS) {
  describe(`unauthenticated failures cannot fill the audit log (${kind})`, () => {
    let temp: TempStoreUrl;
    let server: TestServer | undefined;
    const clock = new ManualClock(T0);
    let userId = '';

    before(async () => {
      temp = await tempStoreUrl(kind);
      server = await startTestServer({
        store: kind,
        clock,
        reuse: temp,
        seed: async (deps) => {
          const org = await seedOrg(deps.ctx, {
            users: [{ userName: 'alice' }],
            accounts: [{ id: ACCOUNT }],
            permissionSets: [{ name: 'ReadOnly' }],
            assignments: [{ user: 'alice', permissionSet: 'ReadOnly', accounts: [ACCOUNT] }],
          });
          userId = org.users.alice!;
          await seedUser(deps, { userName: 'erin', password: PASSWORD });
        },
      });
    });
    after(async () => {
      await server?.stop();
      await temp?.cleanup();
    });

    /** A junk-signed STS call: POST (the fast path) or GET with a query (the Fastify route). */
    const junk = async (i: number) => {
      const s = server!;
      const res =
        i % 2 === 0
          ? await fetch(`${s.url}/`, {
              method: 'POST',
              headers: {
                authorization: JUNK_AUTHORIZATION,
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: 'Action=GetCallerIdentity&Version=2011-06-15',
            })
          : await fetch(`${s.url}/?Action=GetCallerIdentity&Version=2011-06-15`, {
              headers: { authorization: JUNK_AUTHORIZATION },
            });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /<Code>IncompleteSignature<\/Code>/);
    };
    const badSignin = async (web: FormClient) => {
      const res = await web.post('/signin', {
        _csrf: csrfOf((await web.get('/signin')).text),
        step: 'password',
        user_name: MADE_UP_USER,
        password: 'wrong-password',
      });
      assert.equal(res.status, 401);
    };
    const rows = (action: string) => rowsOf(server!.deps.ctx.store.db, action);

    it('writes the first failure of a minute, counts the rest, and still writes authenticated events', async () => {
      const s = server!;
      for (let i = 0; i < 20; i++) await junk(i);
      // Authenticated events in the middle of the flood: each is written on its own.
      const { accessToken } = await issueBearerToken(s.deps.ctx, { userId });
      const sso = new SSOClient({ region: 'us-east-1', endpoint: s.url, maxAttempts: 1 });
      const creds = await sso.send(
        new GetRoleCredentialsCommand({ accessToken, accountId: ACCOUNT, roleName: 'ReadOnly' }),
      );
      sso.destroy();
      assert.match(creds.roleCredentials?.accessKeyId ?? '', /^ASIA/);
      const web = new FormClient(s.url);
      for (let i = 0; i < 5; i++) await badSignin(web);
      const signedIn = await new FormClient(s.url).signIn('erin', PASSWORD);
      assert.equal(signedIn.status, 303);
      for (let i = 20; i < 40; i++) await junk(i);
      for (let i = 0; i < 5; i++) await badSignin(web);

      const failures = await rows('sts.signature_failure');
      assert.equal(failures.length, 1, 'one row for 40 failures so far this minute');
      const first = failures[0]!;
      assert.equal(first.actor, 'anonymous');
      assert.equal(first.source_ip, '127.0.0.1');
      const d = detailOf(first);
      assert.equal(d.code, 'IncompleteSignature');
      assert.ok((d.reason ?? '').length <= 256, `reason of ${(d.reason ?? '').length} characters`);
      assert.ok((d.reason ?? '').startsWith("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA256-JJJ"));
      assert.equal(d.truncated, true);
      assert.ok((d.clientTextLength ?? 0) > 14 * 1024, String(d.clientTextLength));
      assert.ok((first.detail ?? '').length < 512, `detail of ${(first.detail ?? '').length} bytes`);

      const signins = (await rows('signin.failure')).filter((r) => r.actor === 'anonymous');
      assert.equal(signins.length, 1, 'one row for 10 sign-ins with a made-up name');
      const name = detailOf(signins[0]!).userName ?? '';
      assert.ok(name.length <= 256, `user name of ${name.length} characters`);
      assert.equal(name, `\uFFFDghost-${'g'.repeat(120)}`, 'the bidi override replaced');

      assert.equal((await rows('credentials.issue')).length, 1);
      assert.equal((await rows('signin.success')).length, 1);
      const counted = (await s.deps.metrics.securityEvents.get()).values.find(
        (v) => v.labels.kind === 'signature_failure',
      );
      assert.equal(counted?.value, 40, 'metrics count every failure');
    });

    it('writes the counted repeats as one row when the minute ends', async () => {
      clock.advance(MINUTE);
      await junk(0);
      // The summary of the first minute is written once the next one starts.
      const deadline = Date.now() + 10_000;
      let failures = await rows('sts.signature_failure');
      while (failures.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        failures = await rows('sts.signature_failure');
      }
      assert.equal(failures.length, 3, `${failures.length} rows`);
      const summary = failures.find((r) => detailOf(r).repeated);
      assert.ok(summary);
      const d = detailOf(summary);
      assert.equal(d.repeated?.count, 39);
      assert.equal(d.repeated?.first, new Date(T0).toISOString());
      assert.equal(d.repeated?.last, new Date(T0).toISOString());
      assert.equal(summary.source_ip, '127.0.0.1');
      assert.equal(summary.at, T0);
      assert.ok((d.reason ?? '').length <= 256);
      assert.equal(eventCount(failures), 41);
    });

    it('writes the last minute’s counts when the server closes, and audit tail shows them', async () => {
      for (let i = 1; i < 5; i++) await junk(i);
      await server!.stop();
      server = undefined;

      const store = await openStore(temp.url);
      let failures: AuditEventRow[];
      let signins: AuditEventRow[];
      try {
        failures = await rowsOf(store.db, 'sts.signature_failure');
        signins = await rowsOf(store.db, 'signin.failure');
      } finally {
        await store.close();
      }
      assert.equal(eventCount(failures), 45);
      const perMinute = new Map<number, number>();
      for (const r of failures)
        perMinute.set(Math.floor(r.at / MINUTE), (perMinute.get(Math.floor(r.at / MINUTE)) ?? 0) + 1);
      assert.deepEqual([...perMinute.values()], [2, 2], 'two rows a minute');
      for (const r of failures) {
        const d = detailOf(r);
        assert.ok((d.accessKeyId ?? '').length + (d.reason ?? '').length <= 256);
      }
      assert.equal(eventCount(signins), 10);
      assert.equal(signins.length, 2);

      const text = await tail({ json: false });
      assert.match(
        text,
        /sts\.signature_failure {2}anonymous STS from 127\.0\.0\.1 {2}×39 \(2026-11-28T12:00:05\.000Z to 2026-11-28T12:00:05\.000Z\)/,
      );
      assert.match(text, /sts\.signature_failure {2}anonymous STS from 127\.0\.0\.1 {2}×4 /);
      assert.doesNotMatch(text, /J{300}/);
      const records = (await tail({ json: true }))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const summary = records.find(
        (r) =>
          r.idcenterAction === 'sts.signature_failure' &&
          (r.additionalEventData as { eventCount?: number } | undefined)?.eventCount === 39,
      );
      assert.ok(summary, 'a record with eventCount 39');
      assert.equal(summary.errorCode, 'IncompleteSignature');
      assert.deepEqual(summary.additionalEventData, {
        eventCount: 39,
        firstEventTime: '2026-11-28T12:00:05.000Z',
        lastEventTime: '2026-11-28T12:00:05.000Z',
      });
    });

    async function tail(opts: { json: boolean }): Promise<string> {
      let out = '';
      const sink = new Writable({
        write(chunk, _enc, cb) {
          out += chunk.toString();
          cb();
        },
      });
      await runAuditTail({ databaseUrl: temp.url, dataDir: temp.dataDir, lines: '200', ...opts }, sink);
      return out;
    }
  });
}
