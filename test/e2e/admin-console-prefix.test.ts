/**
 * The admin console behind a public URL with a path prefix (`http://127.0.0.1:<port>/idc`): every
 * link, form action and asset of its pages, the sign-in redirect and the redirect after a change
 * stay under the prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeededOrg } from '../helpers/seed.ts';
import { freePort, type TestServer } from '../helpers/server.ts';
import { ConsoleClient, consolePages, startConsoleServer } from './admin-console-fixtures.ts';

const P = '/idc';

describe(`admin console behind a path prefix (${P})`, () => {
  let server: TestServer;
  let org: SeededOrg;
  let admin: ConsoleClient;

  before(async () => {
    const port = await freePort();
    ({ server, org, admin } = await startConsoleServer({
      settings: { port: String(port), publicUrl: `http://127.0.0.1:${port}${P}` },
    }));
  });
  after(async () => server?.stop());

  it('keeps every URL of its pages under the prefix', async () => {
    for (const path of [...consolePages(org), '/admin/users?q=a']) {
      const res = await admin.get(path);
      assert.equal(res.status, 200, path);
      const urls = [...(await res.text()).matchAll(/\s(?:href|src|action)="(\/[^"]*)"/g)].map(
        (m) => m[1] ?? '',
      );
      assert.ok(urls.length > 5, path);
      for (const u of urls) assert.ok(u.startsWith(`${P}/`), `${path}: ${u} is outside ${P}`);
    }
  });

  it('redirects under the prefix: to sign-in and back, and after a change', async () => {
    const anonymous = await new ConsoleClient(server.url, null).get('/admin/users');
    assert.equal(anonymous.headers.get('location'), `${P}/signin?return=%2Fadmin%2Fusers`);
    const root = await admin.get('/admin');
    assert.equal(root.headers.get('location'), `${P}/admin/users`);
    const done = await admin.post(`/admin/users/${org.users.bob}/disable`, {});
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `${P}/admin/users/${org.users.bob}?done=disabled`);
  });
});
