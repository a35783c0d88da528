/**
 * `idcenter ecs-server`: the ECS container credentials API on 127.0.0.1 for a profile. boto3 and
 * the JS SDK's default chain (and fromContainerMetadata) get credentials from it and STS accepts
 * them; a request without the token, or with another one, is refused; credentials near their
 * expiry are replaced before they are handed out; the server stops on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../helpers/python.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { BIN, DEV, runCli, signedInCli, waitFor } from './cli-harness.ts';

const PROFILES = {
  dev: {
    sso_session: 'corp',
    sso_account_id: DEV,
    sso_role_name: 'Admin',
    region: 'eu-west-1',
    services: 'local',
  },
};

const BOTO3 = `
import boto3, json, os
assert 'AWS_ACCESS_KEY_ID' not in os.environ and 'AWS_PROFILE' not in os.environ
s = boto3.Session()
c = s.get_credentials()
print(json.dumps({'method': c.method, 'account': s.client('sts').get_caller_identity()['Account']}))
`;

const JS_SDK = `
const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
const { fromContainerMetadata } = await import('@aws-sdk/credential-providers');
const viaChain = await new STSClient({}).send(new GetCallerIdentityCommand({}));
const viaProvider = await new STSClient({ credentials: fromContainerMetadata() }).send(new GetCallerIdentityCommand({}));
console.log(JSON.stringify({ chain: viaChain.Account, provider: viaProvider.Account }));
`;

for (const kind of STORE_KINDS) {
  describe(`idcenter ecs-server (${kind})`, () => {
    const cli = signedInCli(kind, PROFILES);

    it('boto3 gets the credentials from it, with a profile and keys in the environment removed', async () => {
      const r = await runCli(['ecs-server', '--profile', 'dev', '--', 'python3', '-c', BOTO3], {
        ...cli.env,
        AWS_PROFILE: 'dev',
        AWS_ACCESS_KEY_ID: 'AKIAOLDKEYS',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { method: 'container-role', account: DEV });
    });

    it("the JS SDK's default chain and fromContainerMetadata get them too", async () => {
      const r = await run(
        process.execPath,
        [BIN, 'ecs-server', '--profile', 'dev', '--', process.execPath, '--input-type=module', '-e', JS_SDK],
        { env: cli.env, cwd: process.cwd() },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { chain: DEV, provider: DEV });
    });

    it('refuses requests without the token or with another; renews credentials near expiry; stops on SIGTERM', async () => {
      const child = spawn(process.execPath, [BIN, 'ecs-server', '--profile', 'dev'], { env: cli.env });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      try {
        const vars = await waitFor(() => {
          const url = /AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)/.exec(out)?.[1];
          const token = /AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)/.exec(out)?.[1];
          return url && token && /AWS_ENDPOINT_URL_STS=/.test(out) ? { url, token } : undefined;
        });
        assert.match(vars.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
        assert.match(out, /export AWS_REGION=eu-west-1/);
        assert.match(out, new RegExp(`export AWS_ENDPOINT_URL_STS=${cli.server.url}`));
        assert.equal((await fetch(vars.url)).status, 401);
        assert.equal((await fetch(vars.url, { headers: { authorization: `${vars.token}x` } })).status, 403);
        assert.equal((await fetch(vars.url, { headers: { authorization: 'Bearer nothing' } })).status, 403);
        const first = await fetch(vars.url, { headers: { authorization: vars.token } });
        assert.equal(first.status, 200);
        const a = (await first.json()) as Record<string, string>;
        assert.deepEqual(Object.keys(a), [
          'AccessKeyId',
          'SecretAccessKey',
          'Token',
          'Expiration',
          'AccountId',
        ]);
        assert.match(a.Expiration as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const again = (await (
          await fetch(vars.url, { headers: { authorization: vars.token } })
        ).json()) as Record<string, string>;
        assert.equal(again.AccessKeyId, a.AccessKeyId, 'fresh credentials are reused');

        // The cached credentials now expire in two minutes: the next answer brings new ones.
        const cacheDir = path.join(cli.home, '.aws', 'cli', 'cache');
        for (const f of fs.readdirSync(cacheDir)) {
          const file = path.join(cacheDir, f);
          const c = JSON.parse(fs.readFileSync(file, 'utf8'));
          c.Credentials.Expiration = new Date(Date.now() + 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
          fs.writeFileSync(file, JSON.stringify(c));
        }
        const renewed = (await (
          await fetch(vars.url, { headers: { authorization: vars.token } })
        ).json()) as Record<string, string>;
        assert.notEqual(renewed.AccessKeyId, a.AccessKeyId);
        assert.ok(Date.parse(renewed.Expiration as string) > Date.now() + 30 * 60_000);
      } finally {
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      }
    });

    it('a profile that cannot get credentials is said before anything is served', async () => {
      const r = await runCli(['ecs-server', '--profile', 'nope', '--', 'true'], cli.env);
      assert.equal(r.code, 253, r.stderr);
      assert.match(r.stderr, /The config profile \(nope\) could not be found/);
    });
  });
}
