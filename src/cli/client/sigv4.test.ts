import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyRequest } from '../../protocol/sigv4/verify.ts';
import { signRequest } from './sigv4.ts';

interface Vector {
  body: string;
  headers: Record<string, string>;
  method: string;
  signature: string;
  url: string;
}

const vectors = JSON.parse(fs.readFileSync('test/vectors/sigv4/generated/valid.json', 'utf8')) as {
  cases: Record<string, Vector>;
};
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('sigv4 signer', () => {
  for (const name of ['sts-post-aws-host', 'sts-post-loopback-port']) {
    it(`signs like botocore: ${name}`, () => {
      const v = vectors.cases[name] as Vector;
      const auth = v.headers.Authorization as string;
      const akid = /Credential=([^/]+)\//.exec(auth)?.[1] as string;
      const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(auth)?.[1] as string;
      const date = v.headers['X-Amz-Date'] as string;
      const now = Date.UTC(
        Number(date.slice(0, 4)),
        Number(date.slice(4, 6)) - 1,
        Number(date.slice(6, 8)),
        Number(date.slice(9, 11)),
        Number(date.slice(11, 13)),
        Number(date.slice(13, 15)),
      );
      const out = signRequest({
        method: v.method,
        url: v.url,
        headers: { 'content-type': v.headers['Content-Type'] as string },
        body: v.body,
        region,
        service: 'sts',
        now,
        credentials: {
          accessKeyId: akid,
          secretAccessKey: SECRET,
          sessionToken: v.headers['X-Amz-Security-Token'],
        },
      });
      assert.equal(out.authorization, auth);
    });
  }

  it('signs what the server verifies: a path prefix, encoded path characters, a query', async () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const credentials = { accessKeyId: 'ASIAEXAMPLEEXAMPLE12', secretAccessKey: SECRET, sessionToken: 'tok' };
    for (const url of [
      'http://127.0.0.1:8443/',
      'https://idc.example/idcenter/',
      'https://idc.example/a%20b/c/',
      'https://idc.example/?x=1+2&y=%2F&a=%C3%A9',
    ]) {
      const body = 'Action=GetCallerIdentity&Version=2011-06-15';
      const headers = signRequest({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
        region: 'eu-west-1',
        service: 'sts',
        now,
        credentials,
      });
      const u = new URL(url);
      const result = await verifyRequest(
        {
          method: 'POST',
          path: u.pathname,
          query: u.search.slice(1),
          rawHeaders: Object.entries(headers).flat(),
          body: Buffer.from(body),
        },
        {
          now,
          service: 'sts',
          resolve: (akid, token) =>
            akid === credentials.accessKeyId && token === 'tok'
              ? { ok: true, secretAccessKey: SECRET, principal: akid }
              : { ok: false, code: 'InvalidClientTokenId', status: 403, message: 'unknown key' },
        },
      );
      assert.equal(result.ok, true, result.ok ? url : `${url}: ${result.code} ${result.message}`);
    }
  });

  it('reaches no server module: only node: built-ins, the CLI client and domain code (the canonicaliser among it)', () => {
    const allowed = (file: string) =>
      file.startsWith('src/cli/client/') || file.startsWith('src/domain/') || file === 'src/domain/sigv4.ts';
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      assert.ok(allowed(file), `the signer imports ${file}`);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(path.posix.join(path.posix.dirname(file), spec));
        else assert.ok(spec.startsWith('node:'), `${file} imports the package ${spec}`);
      }
    };
    visit('src/cli/client/sigv4.ts');
    assert.ok(seen.has('src/domain/sigv4.ts'), 'the signer uses the shared canonicaliser');
  });
});
