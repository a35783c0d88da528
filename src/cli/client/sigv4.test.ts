import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
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
});
