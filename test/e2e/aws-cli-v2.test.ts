/**
 * The AWS CLI v2 itself (Debian's `awscli` package at /usr/bin/aws, which `.ci/run` installs):
 * `aws sso login` with the device code, `aws sts get-caller-identity`, the portal API commands
 * (`aws sso list-accounts` across pages, `list-account-roles`, `get-role-credentials`, a refusal)
 * and `aws sso logout`, from an sso-session profile and nothing else; and `aws configure sso` in a terminal, through its
 * prompts and its account and role menus, to a profile that works.
 *
 * CLI v2 releases before 2.13 know no endpoint overrides, so this one reaches idcenter the way
 * it reaches AWS: by the AWS host names. An HTTPS proxy (`HTTPS_PROXY`, honoured by every AWS
 * client) tunnels each CONNECT for those names to idcenter, which serves a certificate for them
 * from a test CA that the CLI trusts through `AWS_CA_BUNDLE`. Nothing in the CLI is changed or
 * configured beyond the profile; any other host name is refused, so nothing leaves the machine.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { decideDevice, fetchTrusting, signedIn } from '../helpers/oidc.ts';
import { cleanAwsEnv, run, start, tempHome } from '../helpers/python.ts';
import { type SeededOrg, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { chooseStagingFirstRole, developersOrg, PASSWORD, PtySession } from './cli-harness.ts';

const AWS_CLI_V2 = '/usr/bin/aws';
const ACCOUNT = '111111111111';
const STAGING = '222222222222';
const REGION = 'us-east-1';
/** What the CLI calls for an sso-session in us-east-1: OIDC, the portal API and regional STS. */
const AWS_HOSTS = [
  `oidc.${REGION}.amazonaws.com`,
  `portal.sso.${REGION}.amazonaws.com`,
  `sts.${REGION}.amazonaws.com`,
  'sts.amazonaws.com',
];

/** A CA and a server certificate for `hosts`, made with openssl in `dir`. */
function makeCertificates(dir: string, hosts: string[]): { ca: string; cert: string; key: string } {
  const p = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=idcenter test CA']
      .concat(['-keyout', p('ca-key.pem'), '-out', p('ca.pem')])
      .concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]),
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hosts[0]}`, '-keyout', p('key.pem')].concat([
      '-out',
      p('req.pem'),
    ]),
  );
  fs.writeFileSync(
    p('ext.cnf'),
    `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    ['x509', '-req', '-in', p('req.pem'), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem')].concat([
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      p('ext.cnf'),
      '-out',
      p('cert.pem'),
    ]),
  );
  return { ca: p('ca.pem'), cert: p('cert.pem'), key: p('key.pem') };
}

/** A CONNECT proxy on 127.0.0.1 that tunnels the AWS host names to `port`, and refuses the rest. */
function startTunnel(port: number): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    seen.push(target);
    const [host, targetPort] = target.split(':');
    if (!AWS_HOSTS.includes(host ?? '') || targetPort !== '443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => {
    proxy.listen(0, '127.0.0.1', () => {
      const address = proxy.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        seen,
        close: () =>
          new Promise<void>((done) => {
            proxy.closeAllConnections();
            proxy.close(() => done());
          }),
      });
    });
  });
}

describe('AWS CLI v2 (Debian awscli) by the AWS host names, without endpoint overrides', () => {
  let server: TestServer;
  let org: SeededOrg;
  let tunnel: Awaited<ReturnType<typeof startTunnel>>;
  let home: ReturnType<typeof tempHome>;
  let env: NodeJS.ProcessEnv;
  let caFile: string;

  before(async () => {
    assert.ok(
      fs.existsSync(AWS_CLI_V2),
      `${AWS_CLI_V2} is missing: install Debian's awscli package (apt-get install awscli), as .ci/run does`,
    );
    home = tempHome();
    const certs = makeCertificates(home.home, AWS_HOSTS);
    caFile = certs.ca;
    const passwordHash = await hash(PASSWORD);
    server = await startTestServer({
      settings: { tls: 'true', tlsCert: certs.cert, tlsKey: certs.key },
      seed: async (deps) => {
        org = await seedOrg(deps.ctx, developersOrg(passwordHash));
      },
    });
    tunnel = await startTunnel(Number(new URL(server.url).port));
    fs.writeFileSync(
      path.join(home.home, '.aws', 'config'),
      `[profile idc]
sso_session = idc
sso_account_id = ${ACCOUNT}
sso_role_name = ReadOnly
region = ${REGION}
output = json

[sso-session idc]
sso_start_url = ${server.config.startUrl}
sso_region = ${REGION}
sso_registration_scopes = sso:account:access
`,
    );
    env = cleanAwsEnv(home.home, {
      HTTPS_PROXY: tunnel.url,
      https_proxy: tunnel.url,
      NO_PROXY: '',
      no_proxy: '',
      AWS_CA_BUNDLE: certs.ca,
      AWS_PAGER: '',
    });
  });

  after(async () => {
    await tunnel?.close();
    await server?.stop();
    home?.cleanup();
  });

  const aws = (args: string[]) => run(AWS_CLI_V2, args, { env, timeoutMs: 60_000 });

  it('is the AWS CLI v2', async () => {
    const r = await aws(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^aws-cli\/2\./);
  });

  it('aws sso login --no-browser: the device code, approved in the pages, fills the token cache', async () => {
    const login = start(AWS_CLI_V2, ['sso', 'login', '--profile', 'idc', '--no-browser'], env);
    const code = (await login.waitFor(/\n([A-Z0-9]{4}-[A-Z0-9]{4})\s*\n/))[1] ?? '';
    // The CLI shows the verification URL idcenter gave it, then the code to type there.
    assert.ok(login.stdout.includes(`${server.url}/device`), login.stdout);
    const web = await signedIn(server.url, 'alice', PASSWORD, undefined, fetchTrusting(caFile));
    const approved = await decideDevice(web, code);
    assert.match(approved.text, /Request approved/);
    assert.equal(await login.exited, 0, login.stderr);
    assert.match(login.stdout, /Successfully logged into Start URL/);
    const cache = fs.readdirSync(path.join(home.home, '.aws', 'sso', 'cache'));
    assert.ok(cache.length >= 1, 'a token cache file was written');
  });

  it('aws sts get-caller-identity --profile idc answers with the assumed role', async () => {
    const r = await aws(['sts', 'get-caller-identity', '--profile', 'idc']);
    assert.equal(r.code, 0, r.stderr);
    const role = await server.deps.ctx.store.db
      .selectFrom('provisioned_roles')
      .selectAll()
      .where('account_id', '=', ACCOUNT)
      .where('permission_set_id', '=', org.permissionSets.ReadOnly!)
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(r.stdout), {
      UserId: `${role.role_id}:alice`,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_${role.role_hash}/alice`,
    });
    // It went to idcenter by the AWS names, through the tunnel, and nowhere else.
    assert.ok(tunnel.seen.includes(`portal.sso.${REGION}.amazonaws.com:443`), tunnel.seen.join(' '));
    assert.ok(tunnel.seen.includes(`oidc.${REGION}.amazonaws.com:443`), tunnel.seen.join(' '));
    assert.ok(
      tunnel.seen.some((t) => t.startsWith('sts.')),
      tunnel.seen.join(' '),
    );
    assert.deepEqual(
      tunnel.seen.filter((t) => !AWS_HOSTS.includes(t.split(':')[0] ?? '')),
      [],
    );
  });

  it('aws sso list-accounts, list-account-roles and get-role-credentials with the cached token', async () => {
    const cacheFile = path.join(
      home.home,
      '.aws',
      'sso',
      'cache',
      `${createHash('sha1').update('idc').digest('hex')}.json`,
    );
    const token = (JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { accessToken: string }).accessToken;
    const portal = (args: string[]) => aws(['sso', ...args, '--access-token', token, '--region', REGION]);

    // One account a page: the CLI follows next_token and merges the pages.
    const accounts = await portal(['list-accounts', '--page-size', '1']);
    assert.equal(accounts.code, 0, accounts.stderr);
    const list = (JSON.parse(accounts.stdout) as { accountList: Array<{ accountId: string }> }).accountList;
    assert.deepEqual(
      list.map((a) => a.accountId),
      [ACCOUNT, STAGING],
    );

    const roles = await portal(['list-account-roles', '--account-id', STAGING]);
    assert.equal(roles.code, 0, roles.stderr);
    const names = (JSON.parse(roles.stdout) as { roleList: Array<{ roleName: string }> }).roleList.map(
      (r) => r.roleName,
    );
    assert.deepEqual(names, ['Admin', 'ReadOnly']);

    const creds = await portal(['get-role-credentials', '--account-id', ACCOUNT, '--role-name', 'ReadOnly']);
    assert.equal(creds.code, 0, creds.stderr);
    const rc = (JSON.parse(creds.stdout) as { roleCredentials: Record<string, unknown> }).roleCredentials;
    assert.match(String(rc.accessKeyId), /^ASIA[A-Z2-7]{16}$/);
    assert.equal(String(rc.secretAccessKey).length, 40);
    const hour = 3600_000;
    assert.ok(Math.abs(Number(rc.expiration) - (Date.now() + hour)) < 60_000, `expiration ${rc.expiration}`);

    // Not assigned: the CLI shows the portal's ForbiddenException.
    const denied = await portal(['get-role-credentials', '--account-id', ACCOUNT, '--role-name', 'Admin']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /ForbiddenException/);
  });

  it('aws sso logout ends the token: the next call needs a new login', async () => {
    const out = await aws(['sso', 'logout', '--profile', 'idc']);
    assert.equal(out.code, 0, out.stderr);
    const tokens = await server.deps.ctx.store.db
      .selectFrom('access_tokens')
      .select(['revoked_at'])
      .execute();
    assert.ok(tokens.length >= 1);
    assert.ok(
      tokens.every((t) => t.revoked_at !== null),
      'Logout revoked the access token',
    );
    const r = await aws(['sts', 'get-caller-identity', '--profile', 'idc']);
    assert.notEqual(r.code, 0);
    // Logout also removed the token from the CLI's cache.
    assert.match(r.stderr, /Error loading SSO Token: Token for idc does not exist/);
  });

  it('aws configure sso in a terminal: prompts, device code, account and role menus, then the profile works', async () => {
    const term = new PtySession([AWS_CLI_V2, 'configure', 'sso', '--profile', 'v2'], {
      ...env,
      // No browser here: the CLI prints the URL and the code instead.
      BROWSER: '/bin/true',
    });
    try {
      await term.answer('SSO session name (Recommended):', 'idc2');
      await term.answer('SSO start URL [None]:', server.config.startUrl);
      await term.answer('SSO region [None]:', REGION);
      await term.answer('SSO registration scopes [sso:account:access]:', '');
      const code = (await term.expect(/enter the code:\s+([A-Z0-9]{4}-[A-Z0-9]{4})/))[1] ?? '';
      const web = await signedIn(server.url, 'alice', PASSWORD, undefined, fetchTrusting(caFile));
      assert.match((await decideDevice(web, code)).text, /Request approved/);
      // Two accounts and, in Staging, two roles: the CLI's own menus, driven with the arrow keys.
      const role = await chooseStagingFirstRole(term);
      assert.equal(role, 'Admin', 'the first role of the menu, as idcenter lists them by name');
      await term.answer('CLI default client Region [None]:', REGION);
      await term.answer('CLI default output format [None]:', 'json');
      assert.equal(await term.exited, 0, term.text);

      const config = fs.readFileSync(path.join(home.home, '.aws', 'config'), 'utf8');
      assert.match(config, /\[profile idc\]/, 'the profile that was there is kept');
      assert.match(
        config,
        new RegExp(
          `\\[profile v2\\]\\nsso_session = idc2\\nsso_account_id = ${STAGING}\\nsso_role_name = ${role}\\n`,
        ),
      );
      assert.match(
        config,
        new RegExp(
          `\\[sso-session idc2\\]\\nsso_start_url = ${server.config.startUrl}\\nsso_region = ${REGION}\\n`,
        ),
      );

      const r = await aws(['sts', 'get-caller-identity', '--profile', 'v2']);
      assert.equal(r.code, 0, r.stderr);
      const id = JSON.parse(r.stdout) as { Account: string; Arn: string };
      assert.equal(id.Account, STAGING);
      assert.match(
        id.Arn,
        new RegExp(`^arn:aws:sts::${STAGING}:assumed-role/AWSReservedSSO_${role}_[0-9a-f]{16}/alice$`),
      );
    } finally {
      term.kill();
    }
  });
});
