/**
 * The yardstick: a bare node:http server answering a small JSON body, measured in the same run
 * as our endpoints so ratios hold when the machine's speed drifts.
 */
import { spawn } from 'node:child_process';

/**
 * In a process of its own, as the credentials benchmark runs idcenter: the yardstick and the
 * measured server are then placed alike (neither shares a process with the load generator).
 */
export async function startBareServerProcess(): Promise<{ url: string; close(): Promise<void> }> {
  const source = `
const http = require('node:http');
const body = JSON.stringify({ ok: true, accountId: '111111111111', roleName: 'ReadOnly' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
