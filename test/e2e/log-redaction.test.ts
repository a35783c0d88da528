/**
 * Request logs redacted `X-Amz-Security-Token`, `X-Amz-Signature` and `user_code`
 * only when the name was written out as is; `X%2DAmz%2DSecurity%2DToken=…` reached the log. Now
 * the value of a secret parameter is `[redacted]` whatever the spelling of its name (percent
 * encoding, case, `+` and `%20`, repeats), and so is a parameter that carries a URL with one
 * (the sign-in page's return path), in the request lines of the Fastify routes and of the fast
 * path, and in the lines the logger writes itself.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/http/server.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** A value no other part of a log line contains (none is a prefix of another). */
const secret = (i: number) => `zz${i}secretvalue${i}zz`;
const AMZ_DATE = '20261128T120000Z';
const CREDENTIAL = 'AKIDEXAMPLE%2F20261128%2Fus-east-1%2Fsts%2Faws4_request';

describe('logs redact secret query parameters by their decoded name', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('in the request lines of the Fastify routes and of the fast path', async () => {
    const urls = [
      // A presigned STS call with the names percent-encoded, in other cases, and repeated.
      `/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIAL}&X-Amz-Date=${AMZ_DATE}&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X%2DAmz%2DSecurity%2DToken=${secret(1)}&x-amz-signature=${secret(2)}&X-AMZ-SIGNATURE=${secret(3)}`,
      `/?Action=GetCallerIdentity&Version=2011-06-15&X%2Damz%2dsignature=${secret(4)}&%58-Amz-Security-Token=${secret(5)}`,
      // GetRoleCredentials with a plain query: answered by the fast path.
      `/federation/credentials?role_name=ReadOnly&account_id=111111111111&user_code=${secret(6)}&X-Amz-Security-Token=${secret(7)}`,
      // Device links: encoded, upper case, `+` and `%20` around the name, repeated, `[]`.
      `/device?user%5Fcode=${secret(8)}`,
      `/device?+user_code=${secret(9)}&user_code%20=${secret(10)}`,
      `/device?USER_CODE=${secret(11)}&user_code=${secret(12)}&user_code=${secret(13)}`,
      `/device?%75ser_code=${secret(14)}&user_code[]=${secret(15)}`,
      // OAuth names, wherever they appear.
      `/authorize?code=${secret(16)}&Device_Code=${secret(17)};code_verifier=${secret(18)}`,
      // A return path carrying a user code, encoded once and twice.
      `/signin?return=${encodeURIComponent(`/device?user_code=${secret(19)}`)}`,
      `/signin?return=${encodeURIComponent(encodeURIComponent(`/device?user_code=${secret(20)}`))}`,
    ];
    for (const url of urls) {
      const res = await fetch(`${server.url}${url}`, { redirect: 'manual' });
      await res.arrayBuffer();
    }
    // The real flow: a device link opened before signing in goes on to the sign-in page, whose
    // URL carries the link as its return path.
    const device = await fetch(`${server.url}/device?user_code=WXZB-KLMN`, { redirect: 'manual' });
    const signin = device.headers.get('location') ?? '';
    assert.match(signin, /return=.*WXZB-KLMN/);
    await (await fetch(new URL(signin, server.url), { redirect: 'manual' })).arrayBuffer();

    // Request lines leave at the end of an event-loop turn.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const lines = server.logs.map((l) => JSON.parse(l) as { msg: string; req?: { url: string } });
    const text = server.logs.join('');
    for (let i = 1; i <= 20; i++) assert.ok(!text.includes(secret(i)), `secret ${i} reached the log`);
    assert.ok(!text.includes('WXZB-KLMN'), 'the user code of the real flow reached the log');
    const requested = lines.filter((l) => l.msg === 'request completed').map((l) => l.req?.url ?? '');
    assert.equal(requested.filter((u) => u.includes('[redacted]')).length, urls.length + 2);
    // What is not secret stays readable.
    assert.ok(requested.some((u) => u.includes(`X-Amz-Credential=${CREDENTIAL}`)));
    assert.ok(
      requested.some((u) =>
        u.includes('/federation/credentials?role_name=ReadOnly&account_id=111111111111&user_code=[redacted]'),
      ),
    );
    assert.ok(requested.includes('/signin?return=[redacted]'));
  });

  it('in the lines the logger writes itself, such as an error with its request', () => {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.error(
      {
        req: {
          method: 'GET',
          url: `/device?user%5Fcode=${secret(21)}&X%2DAMZ%2DSIGNATURE=${secret(22)}&ok=1`,
        },
      },
      'request errored',
    );
    const line = JSON.parse(out.join('')) as { req: { url: string } };
    assert.equal(line.req.url, '/device?user%5Fcode=[redacted]&X%2DAMZ%2DSIGNATURE=[redacted]&ok=1');
  });
});
