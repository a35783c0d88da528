/**
 * The floor under a page's first paint in a new tab: chromium starts a renderer process for a
 * page served with `Cross-Origin-Opener-Policy: same-origin` (the portal's and the console's),
 * which on a small, busy machine takes longer than the page itself. A page of one line with the
 * same security headers from a bare node:http server, opened the same way, measures that start.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { contentSecurityPolicy } from '../src/web/security.ts';

/** The first contentful paint of the page `page` shows, in ms from its navigation's start. */
export async function firstContentfulPaint(page: Page): Promise<number> {
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
  return page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
  );
}

/** A page of one line with the pages' security headers, from a bare node:http server. */
export async function startFloorPage(): Promise<{ url: string; close(): void }> {
  const body =
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head><body><p>idcenter</p></body></html>';
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(),
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
