/**
 * Every SigV4 vector in test/vectors/sigv4: for each case the canonical request, the string to
 * sign and the signature are three separate assertions (so a failure names the stage), then
 * the verifier accepts the signed request at the signing time. The botocore-generated STS
 * vectors check the verifier end to end: valid ones verify, tampered ones fail with the
 * expected code, and the clock cases fix the skew window and the presigned expiry.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { headerMap, type SignableRequest } from '../../domain/sigv4.ts';
import type { SigV4Failure } from './failure.ts';
import { parseAuth } from './parse.ts';
import { SigV4Verifier, signingArtifacts, verifyRequest } from './verify.ts';

const ROOT = path.resolve('test/vectors/sigv4');

/** Parse a raw HTTP request as the vector files write it (folded header lines allowed). */
function parseRawRequest(text: string): SignableRequest {
  const normalized = text.replace(/\r\n/g, '\n');
  const blank = normalized.indexOf('\n\n');
  const head = blank === -1 ? normalized : normalized.slice(0, blank);
  const body = blank === -1 ? '' : normalized.slice(blank + 2);
  const lines = head.split('\n');
  const requestLine = lines.shift() ?? '';
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  const method = requestLine.slice(0, firstSpace);
  const target = requestLine.slice(firstSpace + 1, lastSpace);
  const q = target.indexOf('?');
  const rawHeaders: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && rawHeaders.length > 0) {
      rawHeaders[rawHeaders.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return {
    method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    rawHeaders,
    body: Buffer.from(body, 'utf8'),
  };
}

function resolverFor(accessKeyId: string, secret: string, token?: string) {
  return (akid: string, sessionToken: string | undefined) => {
    if (akid !== accessKeyId) {
      return {
        ok: false as const,
        code: 'InvalidClientTokenId' as const,
        status: 403,
        message: 'The security token included in the request is invalid.',
      };
    }
    if (token !== undefined && sessionToken !== token) {
      return {
        ok: false as const,
        code: 'InvalidClientTokenId' as const,
        status: 403,
        message: 'The security token included in the request is invalid.',
      };
    }
    return { ok: true as const, secretAccessKey: secret, principal: akid };
  };
}

function artifactsOf(
  req: SignableRequest,
  secret: string,
  options: { normalizePath?: boolean; omitSessionToken?: boolean },
) {
  const headers = headerMap(req.rawHeaders);
  const auth = parseAuth(req, headers);
  assert.ok(!('ok' in auth), `signature parses: ${'ok' in auth ? (auth as SigV4Failure).message : ''}`);
  return signingArtifacts(req, headers, auth, secret, options);
}

interface SuiteContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  region: string;
  service: string;
  timestamp: string;
  normalize: boolean;
  omit_session_token?: boolean;
}

describe('aws-signing-test-suite v4', () => {
  const dir = path.join(ROOT, 'aws-signing-test-suite/v4');
  const cases = fs.readdirSync(dir).sort();
  it('has all 38 cases', () => assert.equal(cases.length, 38));
  for (const name of cases) {
    const read = (f: string) => fs.readFileSync(path.join(dir, name, f), 'utf8');
    const ctx = JSON.parse(read('context.json')) as SuiteContext;
    const now = Date.parse(ctx.timestamp);
    for (const form of ['header', 'query'] as const) {
      describe(`${name} (${form})`, () => {
        const req = parseRawRequest(read(`${form}-signed-request.txt`));
        const options = {
          normalizePath: ctx.normalize,
          omitSessionToken: form === 'query' && ctx.omit_session_token === true,
        };
        const got = artifactsOf(req, ctx.credentials.secret_access_key, options);
        it('canonical request', () =>
          assert.equal(got.canonicalRequest, read(`${form}-canonical-request.txt`)));
        it('string to sign', () => assert.equal(got.stringToSign, read(`${form}-string-to-sign.txt`)));
        it('signature', () => assert.equal(got.signature, read(`${form}-signature.txt`).trim()));
        it('verifies', async () => {
          const result = await verifyRequest(req, {
            now,
            service: ctx.service,
            normalizePath: ctx.normalize,
            resolve: resolverFor(ctx.credentials.access_key_id, ctx.credentials.secret_access_key),
          });
          assert.equal(result.ok, true, result.ok ? '' : `${result.code}: ${result.message}`);
        });
      });
    }
  }
});

describe('aws-sig-v4-test-suite (original)', () => {
  const dir = path.join(ROOT, 'aws-sig-v4-test-suite');
  const caseDirs: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (!fs.statSync(p).isDirectory()) continue;
    if (fs.existsSync(path.join(p, `${name}.sreq`))) caseDirs.push(p);
    else
      for (const sub of fs.readdirSync(p).sort())
        if (fs.existsSync(path.join(p, sub, `${sub}.sreq`))) caseDirs.push(path.join(p, sub));
  }
  it('finds every case', () => assert.ok(caseDirs.length >= 30, `found ${caseDirs.length}`));
  const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  for (const caseDir of caseDirs) {
    const name = path.basename(caseDir);
    const read = (ext: string) => fs.readFileSync(path.join(caseDir, `${name}.${ext}`), 'utf8');
    describe(name, () => {
      const authz = read('authz').trim();
      const creq = read('creq');
      const signed = parseRawRequest(read('sreq'));
      // Canonical request: the unsigned .req (plus the token header the .sreq adds) signed
      // with the .creq's header list, because the retired suite's .sreq dropped the
      // Content-Length that two POST cases' .creq signs.
      const unsigned = parseRawRequest(read('req'));
      const tokenAt = signed.rawHeaders.findIndex(
        (h, i) => i % 2 === 0 && h.toLowerCase() === 'x-amz-security-token',
      );
      if (tokenAt >= 0 && !headerMap(unsigned.rawHeaders).has('x-amz-security-token'))
        unsigned.rawHeaders = [...unsigned.rawHeaders, ...signed.rawHeaders.slice(tokenAt, tokenAt + 2)];
      unsigned.rawHeaders = [...unsigned.rawHeaders, 'Authorization', authz];
      const uh = headerMap(unsigned.rawHeaders);
      const ua = parseAuth(unsigned, uh);
      assert.ok(!('ok' in ua));
      const creqSigned = creq.split('\n').at(-2)!.split(';');
      const canonical = signingArtifacts(unsigned, uh, { ...ua, signedHeaders: creqSigned }, SECRET);
      it('canonical request', () => assert.equal(canonical.canonicalRequest, creq));
      // String to sign and signature: the .sreq as signed (its signature is checked against the
      // .authz, since get-vanilla-with-session-token's .sreq carries a garbled one).
      // post-x-www-form-urlencoded-parameters is left out here: its .sts and signature match no
      // variant of its request (the current suite's copy of that case passes above).
      if (name !== 'post-x-www-form-urlencoded-parameters') {
        const got = artifactsOf(signed, SECRET, { normalizePath: true });
        it('string to sign', () => assert.equal(got.stringToSign, read('sts')));
        it('signature', () => assert.ok(authz.endsWith(`Signature=${got.signature}`)));
      }
    });
  }
});

interface GeneratedCase {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  canonical_request?: string;
  string_to_sign?: string;
  signature?: string;
  expect?: string;
}

function requestOf(c: GeneratedCase): SignableRequest {
  const u = new URL(c.url);
  const target = c.url.slice(c.url.indexOf('/', c.url.indexOf('//') + 2));
  const q = target.indexOf('?');
  const rawHeaders: string[] = [];
  let hasHost = false;
  for (const [k, v] of Object.entries(c.headers)) {
    rawHeaders.push(k, v);
    if (k.toLowerCase() === 'host') hasHost = true;
  }
  if (!hasHost) rawHeaders.push('Host', u.host);
  return {
    method: c.method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    rawHeaders,
    body: Buffer.from(c.body, 'utf8'),
  };
}

describe('botocore-generated STS vectors', () => {
  const dir = path.join(ROOT, 'generated');
  const valid = JSON.parse(fs.readFileSync(path.join(dir, 'valid.json'), 'utf8')) as {
    cases: Record<string, GeneratedCase>;
    context: {
      access_key_id: string;
      secret_access_key: string;
      session_token: string;
      signing_time: string;
    };
  };
  const tampered = JSON.parse(fs.readFileSync(path.join(dir, 'tampered.json'), 'utf8')) as {
    cases: Record<string, GeneratedCase>;
  };
  const clock = JSON.parse(fs.readFileSync(path.join(dir, 'clock.json'), 'utf8')) as {
    cases: Array<{ vector: string; server_now: string; expect: string }>;
  };
  const ctx = valid.context;
  const signedAt = Date.UTC(2015, 7, 30, 12, 36, 0);
  const resolve = (token = true) =>
    resolverFor(ctx.access_key_id, ctx.secret_access_key, token ? ctx.session_token : undefined);

  for (const [name, c] of Object.entries(valid.cases)) {
    describe(`valid: ${name}`, () => {
      const req = requestOf(c);
      if (c.canonical_request !== undefined) {
        const got = artifactsOf(req, ctx.secret_access_key, {});
        it('canonical request', () => assert.equal(got.canonicalRequest, c.canonical_request));
        it('string to sign', () => assert.equal(got.stringToSign, c.string_to_sign));
        it('signature', () => assert.equal(got.signature, c.signature));
      }
      it('verifies', async () => {
        const usesToken = JSON.stringify(c).includes('X-Amz-Security-Token');
        const result = await verifyRequest(req, {
          now: signedAt,
          service: 'sts',
          resolve: resolve(usesToken),
        });
        assert.equal(result.ok, true, result.ok ? '' : `${result.code}: ${result.message}`);
      });
    });
  }

  it('valid and tampered alike through a verifier that keeps its signing keys', async () => {
    const verifier = new SigV4Verifier();
    for (let round = 0; round < 2; round++) {
      for (const [name, c] of Object.entries(valid.cases)) {
        const usesToken = JSON.stringify(c).includes('X-Amz-Security-Token');
        const result = await verifier.verify(requestOf(c), {
          now: signedAt,
          service: 'sts',
          resolve: resolve(usesToken),
        });
        assert.equal(result.ok, true, result.ok ? '' : `${name}: ${result.code}: ${result.message}`);
      }
      // One secret, one scope: every valid vector is signed for us-east-1 sts on the same day.
      assert.equal(verifier.signingKeys.size, 1);
    }
    for (const [name, c] of Object.entries(tampered.cases)) {
      const result = await verifier.verify(requestOf(c), {
        now: signedAt,
        service: 'sts',
        resolve: resolve(),
      });
      assert.ok(!result.ok && c.expect!.split('|').includes(result.code), name);
    }
  });

  for (const [name, c] of Object.entries(tampered.cases)) {
    it(`tampered: ${name} → ${c.expect}`, async () => {
      const result = await verifyRequest(requestOf(c), { now: signedAt, service: 'sts', resolve: resolve() });
      assert.equal(result.ok, false);
      if (!result.ok)
        assert.ok(c.expect!.split('|').includes(result.code), `got ${result.code}: ${result.message}`);
    });
  }

  for (const k of clock.cases) {
    it(`clock: ${k.vector} at ${k.server_now} → ${k.expect}`, async () => {
      const c = valid.cases[k.vector];
      assert.ok(c);
      const result = await verifyRequest(requestOf(c), {
        now: Date.parse(k.server_now),
        service: 'sts',
        resolve: resolve(),
      });
      if (k.expect.startsWith('OK')) {
        assert.equal(result.ok, true, result.ok ? '' : `${result.code}: ${result.message}`);
      } else {
        assert.equal(result.ok, false);
        if (!result.ok) {
          if (k.expect.startsWith('SignatureDoesNotMatch')) {
            assert.equal(result.code, 'SignatureDoesNotMatch');
            assert.match(
              result.message,
              k.expect.includes('expired') ? /Signature expired/ : /not yet current/,
            );
          } else {
            assert.equal(result.code, 'AccessDenied');
            assert.match(result.message, /Request has expired/);
          }
        }
      }
    });
  }
});

describe('Authorization header spellings', () => {
  const sdk =
    'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE12/20261128/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const request = (authorization: string, date = true): [SignableRequest, Map<string, string[]>] => {
    const rawHeaders = ['Host', 'sts.example', 'Authorization', authorization];
    if (date) rawHeaders.push('X-Amz-Date', '20261128T120000Z', 'X-Amz-Security-Token', 'token');
    const req = { method: 'POST', path: '/', query: '', rawHeaders, body: Buffer.alloc(0) };
    return [req, headerMap(rawHeaders)];
  };
  const parsed = (authorization: string, date = true) => parseAuth(...request(authorization, date));

  it('reads the form SDKs send as it reads every other spelling of the same items', () => {
    const expected = parsed(sdk);
    assert.ok(!('ok' in expected), 'the SDK form parses');
    assert.equal(expected.accessKeyId, 'ASIAEXAMPLEEXAMPLE12');
    assert.equal(expected.region, 'eu-west-1');
    assert.deepEqual(expected.signedHeaders, ['content-type', 'host', 'x-amz-date']);
    assert.equal(expected.sessionToken, 'token');
    const [credential, signedHeaders, signature] = sdk.slice('AWS4-HMAC-SHA256 '.length).split(', ');
    for (const other of [
      `AWS4-HMAC-SHA256 ${credential},${signedHeaders},${signature}`,
      `AWS4-HMAC-SHA256 ${credential} ,  ${signedHeaders}, ${signature} `,
      `AWS4-HMAC-SHA256 ${signature}, ${credential}, ${signedHeaders}`,
      `AWS4-HMAC-SHA256 Credential=other/x/y/z/aws4_request, ${credential}, ${signedHeaders}, ${signature}`,
    ]) {
      assert.deepEqual(parsed(other), expected, other);
    }
  });

  it('answers the same errors for the SDK form', () => {
    const noDate = parsed(sdk, false) as SigV4Failure;
    assert.equal(noDate.code, 'IncompleteSignature');
    assert.match(noDate.message, /X-Amz-Date/);
    const badScope = parsed(sdk.replace('/aws4_request', '/aws4_requests')) as SigV4Failure;
    assert.equal(badScope.code, 'IncompleteSignature');
    assert.match(badScope.message, /terminator/);
  });
});
