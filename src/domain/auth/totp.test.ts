import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vectors from '../../../test/vectors/totp/rfc6238.json' with { type: 'json' };
import {
  base32Decode,
  base32Encode,
  matchTotp,
  normalizeTotpInput,
  otpauthUri,
  type TotpAlgorithm,
  timeStep,
  totp,
} from './totp.ts';

const seeds = vectors.seeds_ascii as Record<TotpAlgorithm, string>;

describe('TOTP (RFC 6238)', () => {
  it('reproduces every Appendix B value (8 digits, SHA-1/256/512)', () => {
    for (const v of vectors.vectors) {
      const mode = v.mode as TotpAlgorithm;
      const secret = Buffer.from(seeds[mode], 'ascii');
      assert.equal(
        totp(secret, v.unix_time * 1000, { digits: 8, algorithm: mode }),
        v.totp8,
        `${v.unix_time} ${mode}`,
      );
      assert.equal(
        timeStep(v.unix_time * 1000)
          .toString(16)
          .toUpperCase()
          .padStart(16, '0'),
        v.T_hex,
      );
    }
  });

  it('reproduces the 6-digit SHA-1 values authenticator apps show', () => {
    const secret = Buffer.from(seeds.SHA1, 'ascii');
    for (const v of vectors.six_digit_sha1) assert.equal(totp(secret, v.unix_time * 1000), v.totp6);
  });

  it('accepts the current and the previous step once each, nothing else', () => {
    const secret = Buffer.from(seeds.SHA1, 'ascii');
    const now = 1111111111 * 1000;
    const step = timeStep(now);
    const current = totp(secret, now);
    const previous = totp(secret, now - 30_000);
    const next = totp(secret, now + 30_000);
    const old = totp(secret, now - 60_000);
    assert.equal(matchTotp(secret, current, now, 0), step);
    assert.equal(matchTotp(secret, previous, now, 0), step - 1);
    assert.equal(matchTotp(secret, next, now, 0), null, 'a step ahead is refused');
    assert.equal(matchTotp(secret, old, now, 0), null, 'two steps back is refused');
    assert.equal(matchTotp(secret, current, now, step), null, 'replay of an accepted code is refused');
    assert.equal(matchTotp(secret, previous, now, step - 1), null, 'replay of the previous step is refused');
    assert.equal(matchTotp(secret, previous, now, step), null, 'older than the last accepted step');
  });

  it('normalises typed codes', () => {
    assert.equal(normalizeTotpInput(' 123 456 '), '123456');
    assert.equal(normalizeTotpInput('12345'), null);
    assert.equal(normalizeTotpInput('12345a'), null);
    assert.equal(normalizeTotpInput('1'.repeat(100)), null);
  });

  it('round-trips base32 (RFC 4648 test strings) and builds otpauth URIs', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of cases) {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      assert.equal(base32Decode(encoded)?.toString(), plain);
      assert.equal(base32Decode(`${encoded.toLowerCase()}====`)?.toString(), plain);
    }
    assert.equal(base32Decode('MZ1W'), null);
    const uri = otpauthUri(Buffer.from('12345678901234567890'), 'idcenter', 'alice@example.com');
    assert.equal(
      uri,
      'otpauth://totp/idcenter:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=idcenter&algorithm=SHA1&digits=6&period=30',
    );
  });
});
