/**
 * Revocations that race with vending, on two replicas (two AppContexts, each with its own
 * connections, on one store), on both stores. A revoking transaction is held open at a chosen
 * statement (a pause plugin on replica A's query builder, standing in for a lock wait or a long
 * `apply --prune`) while replica B mints credentials; after the commit, every credential B handed
 * out is refused by both replicas' verifiers (or B refused to hand it out). And a revocation
 * stamped by a host whose clock is behind still reaches the other replica.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { type AppContext, createAppContext } from '../../src/app/context.ts';
import { checkRoleCredentials } from '../../src/app/credentials/service.ts';
import {
  type VendedCredentials,
  type VendInput,
  vendRoleCredentials,
} from '../../src/app/credentials/vend.ts';
import { writeRevocations } from '../../src/app/revocation.ts';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { revokeEverything, revokeUserEverything } from '../../src/app/sessions.ts';
import { disableUser, findUserByName } from '../../src/app/users.ts';
import { loadConfig } from '../../src/config/load.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import { ManualClock } from '../../src/domain/runtime.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { applyText } from '../helpers/apply.ts';
import { type BearerToken, issueBearerToken } from '../helpers/seed.ts';
import { serverDepsFor } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const ACCOUNT = '111111111111';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];

function orgFile(users: string[]): string {
  return [
    'accounts:',
    `  - { id: "${ACCOUNT}", name: Production, email: prod@example.com }`,
    'users:',
    ...USERS.map((u) => `  - { userName: ${u}, displayName: ${u}, givenName: ${u}, familyName: Test }`),
    'permissionSets:',
    '  - { name: ReadOnly, sessionDuration: PT4H }',
    'assignments:',
    ...users.map((u) => `  - { user: ${u}, permissionSet: ReadOnly, accounts: ["${ACCOUNT}"] }`),
    '',
  ].join('\n');
}

/** A point to hold a transaction at, and the means to let it go on. */
interface Held {
  /** Resolves once the matching statement has run (its transaction is open, its locks held). */
  reached: Promise<void>;
  release(): void;
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Holds the next statement that matches, after it ran and before its result is returned. */
class PauseAfter implements KyselyPlugin {
  private armed: {
    match: (n: RootOperationNode) => boolean;
    reached(): void;
    release: Promise<void>;
  } | null = null;
  private readonly hits = new WeakSet<object>();

  arm(match: (n: RootOperationNode) => boolean): Held {
    const reached = deferred();
    const release = deferred();
    this.armed = { match, reached: reached.resolve, release: release.promise };
    return { reached: reached.promise, release: release.resolve };
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.armed?.match(args.node)) this.hits.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const armed = this.armed;
    if (armed && this.hits.has(args.queryId)) {
      this.armed = null;
      armed.reached();
      await armed.release;
    }
    return args.result;
  }
}

/** A statement of `kind` (`UpdateQueryNode`, `InsertQueryNode`, `DeleteQueryNode`) on `table`. */
function on(kind: string, table: string): (n: RootOperationNode) => boolean {
  return (n) => n.kind === kind && JSON.stringify(n).includes(`"name":"${table}"`);
}

for (const kind of STORE_KINDS) {
  describe(`revocations racing with vending on two replicas (${kind})`, () => {
    let temp: TempStoreUrl;
    let rawA: Store;
    let rawB: Store;
    const clock = new ManualClock(T0);
    const pauseA = new PauseAfter();
    /** Replica A: revokes. Its statements can be held. */
    let depsA: ServerDeps;
    /** Replica B: vends. Its hot-path reads can be held, and it tells when it audits. */
    let depsB: ServerDeps;
    let holdReadB: { armed: boolean; reached(): void; release: Promise<void> } | null = null;
    let auditingB: (() => void) | null = null;
    const ids = new Map<string, string>();
    const tokens = new Map<string, BearerToken>();

    before(async () => {
      temp = await tempStoreUrl(kind);
      rawA = await openStore(temp.url);
      rawB = await openStore(temp.url);
      const config = loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.url, port: '0' }, {});
      const storeA: Store = { ...rawA, db: rawA.db.withPlugin(pauseA) };
      const storeB: Store = {
        ...rawB,
        async readRows<R>(sqlText: string, parameters: readonly unknown[]): Promise<R[]> {
          const rows = await rawB.readRows<R>(sqlText, parameters);
          const hold = holdReadB;
          if (hold) {
            holdReadB = null;
            hold.reached();
            await hold.release;
          }
          return rows;
        },
        appendAudit(rows) {
          auditingB?.();
          return rawB.appendAudit(rows);
        },
      };
      const ctxA = createAppContext(storeA, { clock });
      const ctxB = createAppContext(storeB, { clock });
      await applyText(ctxA, orgFile(USERS));
      // One key file in the shared data directory: made by A, read by B.
      depsA = serverDepsFor(ctxA, config);
      depsB = serverDepsFor(ctxB, config);
      for (const u of USERS) {
        const user = await findUserByName(rawA, u);
        assert.ok(user);
        ids.set(u, user.id);
        tokens.set(u, await issueBearerToken(ctxA, { userId: user.id }));
      }
    });
    after(async () => {
      await rawA.close();
      await rawB.close();
      await temp.cleanup();
    });

    const input = (userName: string): VendInput => {
      const token = tokens.get(userName);
      assert.ok(token);
      return {
        userId: ids.get(userName) ?? '',
        userName,
        accountId: ACCOUNT,
        roleName: 'ReadOnly',
        sessionId: token.sessionId,
        familyId: token.familyId,
        sourceIp: null,
        channel: 'sso-api',
      };
    };

    /** Vend on B; resolves once B has minted and asked for its audit event to be written. */
    function vendOnB(userName: string): { minted: Promise<void>; result: Promise<VendedCredentials | null> } {
      const minted = deferred();
      auditingB = () => {
        auditingB = null;
        minted.resolve();
      };
      const result = vendRoleCredentials(depsB, input(userName)).then(
        (c) => c,
        (err: unknown) => {
          // Refused: the revocation committed while it was being issued.
          assert.ok(isDomainError(err, 'forbidden'), String(err));
          minted.resolve();
          return null;
        },
      );
      return { minted: minted.promise, result };
    }

    /** Every credential handed out is refused as revoked by both replicas, once they refreshed. */
    async function assertRefusedEverywhere(handedOut: Array<VendedCredentials | null>): Promise<void> {
      for (const deps of [depsA, depsB]) {
        const service = deps.credentials;
        await service.revocations.refresh();
        for (const c of handedOut) {
          if (c === null) continue;
          const check = await checkRoleCredentials(service, clock.now(), c.accessKeyId, c.sessionToken);
          assert.deepEqual(
            check.ok ? { ok: true, issuedAt: check.claims.issuedAt } : check,
            { ok: false, reason: 'revoked' },
            `${deps === depsA ? 'replica A' : 'replica B'} still accepts credentials minted before the commit`,
          );
        }
      }
    }

    it('a user disable that waits (its transaction held after its first write): what B mints meanwhile stops', async () => {
      const before = await vendRoleCredentials(depsB, input('alice'));
      const held = pauseA.arm(on('UpdateQueryNode', 'users'));
      const disabling = disableUser(depsA.ctx, ids.get('alice') ?? '', 'test');
      await held.reached;
      clock.advance(1000);
      const during = vendOnB('alice');
      await during.minted;
      held.release();
      await disabling;
      await assertRefusedEverywhere([before, await during.result]);
    });

    it('sessions revoke --user held after its revocation rows are written: what B mints before the commit stops', async () => {
      clock.advance(1000);
      const before = await vendRoleCredentials(depsB, input('bob'));
      const held = pauseA.arm(on('InsertQueryNode', 'revocations'));
      const revoking = revokeUserEverything(depsA.ctx, 'bob', 'test');
      await held.reached;
      clock.advance(1000);
      const during = vendOnB('bob');
      await during.minted;
      held.release();
      await revoking;
      await assertRefusedEverywhere([before, await during.result]);
    });

    it('vending that read access before the commit and mints after it is refused', async () => {
      clock.advance(1000);
      const before = await vendRoleCredentials(depsB, input('carol'));
      // B reads carol's access (a new key for its role cache: the read goes to the store) and waits.
      const readDone = deferred();
      const release = deferred();
      holdReadB = { armed: true, reached: readDone.resolve, release: release.promise };
      const during = vendOnB('dave');
      await readDone.promise;
      // Meanwhile A disables dave, start to commit; then time passes and B mints.
      await disableUser(depsA.ctx, ids.get('dave') ?? '', 'test');
      clock.advance(1000);
      release.resolve();
      await during.minted;
      const handed = await during.result;
      assert.equal(
        handed,
        null,
        'B handed out credentials minted after the revocation from access read before it',
      );
      await assertRefusedEverywhere([handed]);
      // Unrelated credentials are not touched.
      const check = await checkRoleCredentials(
        depsA.credentials,
        clock.now(),
        before.accessKeyId,
        before.sessionToken,
      );
      assert.equal(check.ok, true);
    });

    it('apply --prune held after removing access: what B mints meanwhile stops', async () => {
      clock.advance(1000);
      const before = await vendRoleCredentials(depsB, input('erin'));
      const held = pauseA.arm(on('DeleteQueryNode', 'account_assignments'));
      const applying = applyText(depsA.ctx, orgFile(USERS.filter((u) => u !== 'erin')), { prune: true });
      await held.reached;
      clock.advance(1000);
      const during = vendOnB('erin');
      await during.minted;
      held.release();
      const applied = await applying;
      assert.equal(applied.revocations, 1);
      await assertRefusedEverywhere([before, await during.result]);
    });

    it('sessions revoke --all held after its revocation rows are written: what B mints before the commit stops', async () => {
      clock.advance(1000);
      const before = await vendRoleCredentials(depsB, input('frank'));
      const held = pauseA.arm(on('InsertQueryNode', 'revocations'));
      const revoking = revokeEverything(depsA.ctx, 'test', 'test');
      await held.reached;
      clock.advance(1000);
      const during = vendOnB('frank');
      await during.minted;
      held.release();
      const outcome = await revoking;
      assert.equal(outcome.revocations[0]?.kind, 'all');
      await assertRefusedEverywhere([before, await during.result]);
    });

    it('a revocation stamped by a host whose clock is ten minutes behind still reaches the other replica', async () => {
      // Both views are current as of now: they have read a revocation made just now.
      clock.advance(60 * 60_000);
      await writeRevocations(depsA.ctx, [{ kind: 'session', subject: 'another-session' }]);
      await assertRefusedEverywhere([]);
      // Credentials issued fifteen minutes ago.
      const early: ServerDeps = {
        ...depsB,
        ctx: { ...depsB.ctx, clock: new ManualClock(clock.now() - 15 * 60_000) },
      };
      const token = await issueBearerToken(depsA.ctx, { userId: ids.get('grace') ?? '' });
      tokens.set('grace', token);
      const c = await vendRoleCredentials(early, input('grace'));
      // A host ten minutes behind revokes grace's sessions (and so her credentials until then).
      const skewed: AppContext = { ...depsA.ctx, clock: new ManualClock(clock.now() - 10 * 60_000) };
      await revokeUserEverything(skewed, 'grace', 'test');
      clock.advance(60_000);
      await assertRefusedEverywhere([c]);
    });
  });
}
