import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { systemRandom } from '../../domain/runtime.ts';
import { issueDeviceMark, KNOWN_DEVICE_LIFETIME_MS, readDeviceMark } from './known-device.ts';

describe('known-device mark', () => {
  const key = randomBytes(32);
  const now = 1_800_000_000_000;
  const alice = { id: 'user-alice', userName: 'Alice' };
  const mark = issueDeviceMark(key, alice, now, systemRandom);

  it('names the user it was issued to, whatever the case of the name typed', () => {
    assert.deepEqual(readDeviceMark(key, mark, 'alice', now + 1000), {
      userId: 'user-alice',
      issuedAt: now,
      expiresAt: now + KNOWN_DEVICE_LIFETIME_MS,
    });
    assert.equal(readDeviceMark(key, mark, 'ALICE', now)?.userId, 'user-alice');
    assert.ok(mark.length < 300, 'fits a cookie easily');
    assert.ok(!mark.includes('lice'), 'the user name is not in the mark');
  });

  it('counts for nobody else: presented with another user name it is ignored', () => {
    assert.equal(readDeviceMark(key, mark, 'bob', now), null);
    assert.equal(readDeviceMark(key, mark, 'alice2', now), null);
  });

  it('cannot be forged: a changed payload, signature or key is refused', () => {
    const body = mark.slice(0, -43);
    const sig = mark.slice(-43);
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const rewritten = Buffer.from(JSON.stringify({ ...payload, u: 'user-bob' })).toString('base64url');
    assert.equal(readDeviceMark(key, `${rewritten}${sig}`, 'alice', now), null);
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(readDeviceMark(key, `${body}${flipped}`, 'alice', now), null);
    assert.equal(readDeviceMark(randomBytes(32), mark, 'alice', now), null, "another server's key");
    for (const junk of ['', 'abc', body, sig, `${body}${sig}x`, `x${body}${sig}`, 'x'.repeat(500)]) {
      assert.equal(readDeviceMark(key, junk, 'alice', now), null, JSON.stringify(junk.slice(0, 20)));
    }
  });

  it('expires', () => {
    assert.ok(readDeviceMark(key, mark, 'alice', now + KNOWN_DEVICE_LIFETIME_MS - 1));
    assert.equal(readDeviceMark(key, mark, 'alice', now + KNOWN_DEVICE_LIFETIME_MS), null);
  });

  it('is different on every sign-in (a device id of its own)', () => {
    assert.notEqual(issueDeviceMark(key, alice, now, systemRandom), mark);
  });
});
