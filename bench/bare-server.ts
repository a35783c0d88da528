/**
 * The yardstick: a bare node:http server answering a small JSON body, measured in the same run
 * as our endpoints so ratios hold when the machine's speed drifts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startBareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify({ ok: true, accountId: '111111111111', roleName: 'ReadOnly' });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
