import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../domain/runtime.ts';
import type { AuditRow, Store } from '../storage/db.ts';
import { type AuditEvent, CLIENT_TEXT_LIMIT, clientText } from './audit.ts';
import { FailureAudit } from './failure-audit.ts';

/** A store that keeps the audit rows handed to it, and can be told to refuse them. */
function rowStore() {
  const rows: AuditRow[] = [];
  let refuse = false;
  const store = {
    async appendAudit(r: readonly AuditRow[]) {
      if (refuse) throw new Error('store unreachable');
      rows.push(...r);
    },
  } as unknown as Store;
  return {
    store,
    rows,
    refuse(v: boolean) {
      refuse = v;
    },
  };
}

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function failure(at: number, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    at,
    actor: 'anonymous',
    action: 'sts.signature_failure',
    targetType: 'STS',
    targetId: null,
    detail: { code: 'SignatureDoesNotMatch' },
    sourceIp: '192.0.2.1',
    requestId: `r-${at}`,
    ...over,
  };
}

const detailOf = (r: AuditRow) => JSON.parse(r.detail ?? '{}') as Record<string, unknown>;

describe('clientText', () => {
  it('shares 256 characters among the fields, in order, and says when it cut', () => {
    const d = clientText({ accessKeyId: 'AKIDEXAMPLE', reason: `why: ${'x'.repeat(20_000)}`, more: 'late' });
    assert.equal(d.accessKeyId, 'AKIDEXAMPLE');
    assert.equal((d.reason as string).length, CLIENT_TEXT_LIMIT - 'AKIDEXAMPLE'.length);
    assert.equal(d.more, '');
    assert.equal(d.truncated, true);
    assert.equal(d.clientTextLength, 11 + 5 + 20_000 + 4);
  });

  it('keeps short text as sent, without a note', () => {
    assert.deepEqual(clientText({ userName: 'alice', other: null }), { userName: 'alice', other: null });
  });

  it('replaces control, bidi, zero-width and separator characters and lone surrogates', () => {
    const d = clientText({ userName: 'a\u0000b\u0007c\u001b[31md\u202Ee\u200Bf\u2028g\uD800h\u0085i' });
    assert.equal(d.userName, 'a\uFFFDb\uFFFDc\uFFFD[31md\uFFFDe\uFFFDf\uFFFDg\uFFFDh\uFFFDi');
    assert.equal(d.truncated, undefined);
  });

  it('counts characters, not UTF-16 units, and never splits one', () => {
    const d = clientText({ name: '😀'.repeat(300) });
    assert.equal(Array.from(d.name as string).length, CLIENT_TEXT_LIMIT);
    assert.equal(d.name, '😀'.repeat(CLIENT_TEXT_LIMIT));
    assert.equal(d.truncated, true);
  });
});

describe('FailureAudit', () => {
  it('lets the first failure of a minute through and writes the repeats as one row when it ends', async () => {
    const s = rowStore();
    const clock = new ManualClock(T0);
    const audit = new FailureAudit(s.store, clock);
    assert.ok(audit.admit(failure(T0 + 1000), 'SignatureDoesNotMatch'), 'first: written by the caller');
    for (let i = 2; i <= 10; i++) {
      assert.equal(
        audit.admit(failure(T0 + i * 1000, { actor: `key:K${i}` }), 'SignatureDoesNotMatch'),
        null,
      );
    }
    await audit.settle();
    assert.equal(s.rows.length, 0, 'the minute has not ended');

    clock.set(T0 + 60_000);
    assert.ok(audit.admit(failure(T0 + 60_000), 'SignatureDoesNotMatch'), 'first of the next minute');
    await audit.settle();
    assert.equal(s.rows.length, 1);
    const row = s.rows[0]!;
    assert.equal(row.at, T0 + 10_000);
    assert.equal(row.actor, 'anonymous', 'the actors differed');
    assert.equal(row.source_ip, '192.0.2.1');
    assert.equal(row.request_id, null);
    assert.deepEqual(detailOf(row), {
      code: 'SignatureDoesNotMatch',
      repeated: {
        count: 9,
        first: new Date(T0 + 2000).toISOString(),
        last: new Date(T0 + 10_000).toISOString(),
      },
    });
  });

  it('counts each address, target and kind apart, and keeps a common actor', async () => {
    const s = rowStore();
    const clock = new ManualClock(T0);
    const audit = new FailureAudit(s.store, clock);
    const admitted = [
      failure(T0, { sourceIp: '192.0.2.1' }),
      failure(T0, { sourceIp: '192.0.2.2' }),
      failure(T0, { sourceIp: '192.0.2.1', targetId: 'u1', actor: 'user:u1' }),
    ].map((e) => audit.admit(e, 'x'));
    assert.ok(admitted.every((e) => e !== null));
    assert.ok(audit.admit(failure(T0, { sourceIp: '192.0.2.1' }), 'y'), 'another kind');
    for (let i = 0; i < 3; i++)
      audit.admit(failure(T0, { sourceIp: '192.0.2.1', targetId: 'u1', actor: 'user:u1' }), 'x');
    await audit.close();
    assert.equal(s.rows.length, 1);
    assert.equal(s.rows[0]!.actor, 'user:u1');
    assert.equal(s.rows[0]!.target_id, 'u1');
    assert.equal((detailOf(s.rows[0]!).repeated as { count: number }).count, 3);
  });

  it('counts failures from more addresses than it tracks in one row without an address', async () => {
    const s = rowStore();
    const audit = new FailureAudit(s.store, new ManualClock(T0), { maxKeys: 2 });
    assert.ok(audit.admit(failure(T0, { sourceIp: '192.0.2.1' }), 'x'));
    assert.ok(audit.admit(failure(T0, { sourceIp: '192.0.2.2' }), 'x'));
    for (let i = 3; i < 103; i++)
      assert.equal(audit.admit(failure(T0, { sourceIp: `192.0.2.${i}` }), 'x'), null);
    await audit.close();
    assert.equal(s.rows.length, 1);
    assert.equal(s.rows[0]!.source_ip, null);
    assert.deepEqual(detailOf(s.rows[0]!), {
      repeated: { count: 100, first: new Date(T0).toISOString(), last: new Date(T0).toISOString() },
      overflow: true,
    });
  });

  it('keeps the rows the store refused and writes them with the next ones', async () => {
    const s = rowStore();
    const clock = new ManualClock(T0);
    const audit = new FailureAudit(s.store, clock);
    audit.admit(failure(T0), 'x');
    audit.admit(failure(T0), 'x');
    s.refuse(true);
    clock.advance(60_000);
    await assert.rejects(audit.settle(), /store unreachable/);
    s.refuse(false);
    audit.admit(failure(clock.now()), 'x');
    audit.admit(failure(clock.now()), 'x');
    await audit.close();
    assert.deepEqual(
      s.rows.map((r) => (detailOf(r).repeated as { count: number }).count),
      [1, 1],
    );
  });

  it('writes everything at close and lets every later failure through', async () => {
    const s = rowStore();
    const audit = new FailureAudit(s.store, new ManualClock(T0));
    audit.admit(failure(T0), 'x');
    audit.admit(failure(T0), 'x');
    await audit.close();
    assert.equal(s.rows.length, 1);
    assert.ok(audit.admit(failure(T0), 'x'));
  });

  it('writes a minute’s repeats when it ends even if no failure follows', async () => {
    const s = rowStore();
    const audit = new FailureAudit(s.store, systemClock, { windowMs: 1000 });
    const now = systemClock.now();
    audit.admit(failure(now), 'x');
    audit.admit(failure(now), 'x');
    const deadline = Date.now() + 10_000;
    while (s.rows.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.rows.length, 1);
    await audit.close();
  });
});
