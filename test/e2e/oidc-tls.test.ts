/**
 * `idcenter server --tls`: a generated CA and server certificate that botocore trusts through
 * AWS_CA_BUNDLE, given certificate files, `HEAD <start URL>` as AWS CLI v2's start-URL
 * resolution expects it (docs/wire-protocols.md, "Start URL resolution"), and `__Host-` Secure
 * cookies over HTTPS.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

function request(
  url: string,
  ca: Buffer,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What AWS CLI v2 >= 2.35.13 does with a non-AWS start URL: HEAD, one redirect, not followed. */
const RESOLVE_START_URL = `
import json, sys, urllib.request, urllib.error
class NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
ctx = __import__('ssl').create_default_context(cafile=sys.argv[2])
opener = urllib.request.build_opener(NoFollow, urllib.request.HTTPSHandler(context=ctx))
try:
    opener.open(urllib.request.Request(sys.argv[1], method='HEAD'))
    print(json.dumps({'status': 200}))
except urllib.error.HTTPError as e:
    print(json.dumps({'status': e.code, 'location': e.headers.get('Location')}))
`;

const BOTOCORE_OVER_TLS = `
import json, sys, botocore.session
c = botocore.session.Session().create_client('sso-oidc', region_name='eu-west-1', endpoint_url=sys.argv[1])
r = c.register_client(clientName='botocore-client-tls', clientType='public', scopes=['sso:account:access'],
                      grantTypes=['authorization_code', 'refresh_token'], redirectUris=['http://127.0.0.1/oauth/callback'],
                      issuerUrl=sys.argv[2])
d = c.register_client(clientName='botocore-client-tls', clientType='public')
a = c.start_device_authorization(clientId=d['clientId'], clientSecret=d['clientSecret'], startUrl=sys.argv[2])
print(json.dumps({'clientId': r['clientId'], 'verificationUri': a['verificationUri']}))
`;

describe('HTTPS (generated certificate)', () => {
  let server: TestServer;
  const home = tempHome();
  before(async () => {
    server = await startTestServer({
      settings: {
        tls: 'true',
        region: 'eu-west-1',
        startUrlAliases: 'https://d-0000000000.awsapps.com/start',
      },
    });
  });
  after(async () => {
    await server?.stop();
    home.cleanup();
  });

  it('serves HTTPS that botocore trusts with AWS_CA_BUNDLE, and the resolved start URL works', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = server.tlsCaPath ?? '';
    assert.equal(ca, path.join(server.config.dataDir, 'tls', 'ca.pem'));
    const key = fs.statSync(path.join(server.config.dataDir, 'tls', 'server-key.pem'));
    assert.equal(key.mode & 0o077, 0, 'private keys are not readable by others');

    const resolved = await python(RESOLVE_START_URL, [server.config.startUrl, ca], cleanAwsEnv(home.home));
    assert.equal(resolved.code, 0, resolved.stderr);
    const head = JSON.parse(resolved.stdout) as { status: number; location: string };
    assert.equal(head.status, 302);
    const location = new URL(head.location);
    assert.match(location.hostname, /^ssoins-[0-9a-f]{16}\.portal\.eu-west-1\.app\.aws$/);
    const resolvedStartUrl = `https://${location.hostname}`;

    const env = cleanAwsEnv(home.home, { AWS_CA_BUNDLE: ca });
    const r = await python(BOTOCORE_OVER_TLS, [server.url, resolvedStartUrl], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).verificationUri, `${server.url}/device`);
    const alias = await python(
      BOTOCORE_OVER_TLS,
      [server.url, 'https://d-0000000000.awsapps.com/start'],
      env,
    );
    assert.equal(alias.code, 0, alias.stderr);

    const untrusted = await python(
      BOTOCORE_OVER_TLS,
      [server.url, resolvedStartUrl],
      cleanAwsEnv(home.home, { AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard' }),
    );
    assert.notEqual(untrusted.code, 0, 'without the CA bundle the certificate is refused');
    assert.match(untrusted.stderr, /SSL|certificate/i);
  });

  it('uses __Host- cookies, Secure, over HTTPS', async () => {
    const ca = fs.readFileSync(server.tlsCaPath ?? '');
    const res = await request(`${server.url}/signin`, ca);
    assert.equal(res.status, 200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const csrf = cookies.find((c) => c.startsWith('__Host-idc_csrf='));
    assert.ok(csrf, cookies.join(' | '));
    assert.match(csrf, /; Path=\//);
    assert.match(csrf, /; Secure/);
    assert.match(csrf, /; HttpOnly/);
    assert.doesNotMatch(csrf, /Domain=/i);
    const head = await request(`${server.url}/start/`, ca, 'HEAD');
    assert.equal(head.status, 302);
  });

  it('serves given certificate files; unreadable ones stop the start with a clear message', async () => {
    const dir = path.join(server.config.dataDir, 'tls');
    const before = fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    const again = await startTestServer({
      settings: {
        tls: 'true',
        tlsCert: path.join(dir, 'server.pem'),
        tlsKey: path.join(dir, 'server-key.pem'),
      },
    });
    try {
      assert.equal(again.tlsCaPath, null);
      const res = await request(`${again.url}/healthz`, Buffer.from(before));
      assert.equal(res.status, 200);
    } finally {
      await again.stop();
    }
    await assert.rejects(
      startTestServer({
        settings: { tls: 'true', tlsCert: '/nonexistent/cert.pem', tlsKey: '/nonexistent/key.pem' },
      }),
      /cannot read the TLS certificate \/nonexistent\/cert\.pem/,
    );
  });
});
