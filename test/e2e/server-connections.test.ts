/**
 * Slow and idle clients: hundreds of connections that send headers and part of a
 * body, part of the headers, or nothing at all, from a few client addresses. The server keeps
 * answering everyone else (/healthz, a real sign-in through the pages), refuses connections
 * over the cap of one address at once, answers each stalled request 408 and closes it once the
 * body timeout passes, on the fast path as on the Fastify routes, and afterwards holds nothing.
 *
 * Every client connects from its own loopback address (Linux routes all of 127.0.0.0/8 to lo),
 * since the cap is per address.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type RawConnection, rawConnection, within } from '../helpers/connections.ts';
import { FormClient, fetchThrough, seedUser } from '../helpers/oidc.ts';
import { startTestServer, TEST_METRICS_TOKEN, type TestServer } from '../helpers/server.ts';

const CAP = 100;
const PASSWORD = 'correct horse battery';
/** The addresses the stalled clients come from: CAP connections each. */
const STALLERS = ['127.0.0.3', '127.0.0.4', '127.0.0.5'];
/** The address of the well-behaved client. */
const GOOD = '127.0.0.2';

/** What a stalled client sends before it stops: each shape is a quarter of the connections. */
const STALLS = {
  /** The fast path's STS shape (`http/fast-path.ts` reads the body itself). */
  laneBody:
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Get',
  /** A Fastify route (SSO OIDC CreateToken). */
  routeBody:
    'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cli',
  headers: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ',
  silent: '',
} as const;
type Stall = keyof typeof STALLS;

interface Held {
  stall: Stall;
  ended: RawConnection['ended'];
}

/** A connection from `localAddress` that sends the start of `stall` and then nothing more. */
async function hold(port: number, localAddress: string, stall: Stall): Promise<Held> {
  const c = await rawConnection(port, STALLS[stall], localAddress);
  return { stall, ended: c.ended };
}

/**
 * One series of /metrics, read over a connection of its own from `localAddress` (with the test
 * servers' metrics token).
 */
function openConnections(url: string, localAddress: string): Promise<number> {
  const headers = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/metrics`, { agent: false, localAddress, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          const m = /^idcenter_http_open_connections (\d+)$/m.exec(text);
          if (!m) reject(new Error('no idcenter_http_open_connections series'));
          else resolve(Number(m[1]));
        });
      })
      .on('error', reject);
  });
}

describe('slow and idle clients', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startTestServer({
      settings: { bodyTimeout: '4s', maxConnectionsPerAddress: String(CAP) },
      seed: async (deps) => {
        await seedUser(deps, { userName: 'alice', password: PASSWORD });
      },
    });
    port = Number(new URL(server.url).port);
  });
  after(async () => server?.stop());

  it('hundreds of stalled connections neither starve other clients nor outlive the body timeout', async () => {
    const shapes = Object.keys(STALLS) as Stall[];
    const held: Held[] = [];
    for (const address of STALLERS) {
      held.push(
        ...(await Promise.all(
          Array.from({ length: CAP }, (_, i) => hold(port, address, shapes[i % shapes.length]!)),
        )),
      );
    }
    assert.equal(held.length, 300);

    // Over the cap of its address a connection is refused at once, while those held stay open.
    const over = await Promise.all(Array.from({ length: 20 }, () => hold(port, STALLERS[0]!, 'silent')));
    const refused = await within(
      10_000,
      'connections over the cap closed',
      Promise.all(over.map((o) => o.ended)),
    );
    for (const r of refused) assert.equal(r.received, '', 'a refused connection is not answered');
    assert.equal(await openConnections(server.url, GOOD), held.length + 1, 'the 300 are still held');

    // Everyone else is served meanwhile: /healthz, and a real sign-in through the pages.
    const fromGood = fetchThrough({ localAddress: GOOD, agent: false });
    const health = await within(10_000, '/healthz', fromGood(`${server.url}/healthz`));
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const web = new FormClient(server.url, fromGood);
    const signIn = await within(10_000, 'sign-in', web.signIn('alice', PASSWORD));
    assert.equal(signIn.status, 303);
    assert.equal(signIn.location, '/start');
    const portal = await web.get('/start');
    assert.equal(portal.status, 200);

    // Once the body timeout passes, every stalled request is answered 408 and its connection
    // closed; a connection that sent nothing is closed too.
    const ends = await within(20_000, 'stalled connections closed', Promise.all(held.map((h) => h.ended)));
    held.forEach((h, i) => {
      const { received } = ends[i]!;
      if (h.stall === 'silent') assert.ok(received === '' || received.startsWith('HTTP/1.1 408 '), received);
      else assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/, `${h.stall}: ${received}`);
    });

    // Nothing is left behind: no connection, and each address may connect again.
    assert.equal(await openConnections(server.url, GOOD), 1);
    for (const address of STALLERS) assert.equal(await openConnections(server.url, address), 1);
  });
});
