/**
 * A session revoked on the server is not trusted from the token cache: `sso status` says the
 * server no longer accepts the token, and `sso login` signs in again instead of saying
 * "Already signed in". When the server cannot be reached, status says the token is not confirmed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revokeUserEverything } from '../../src/app/sessions.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  cliEnv,
  DEV,
  runCli,
  sessionConfig,
  signedInCli,
  signInWithoutBrowser,
  startPty,
  tempHome,
  writeConfig,
} from './cli-harness.ts';

const PROFILES = {
  dev: {
    sso_session: 'corp',
    sso_account_id: DEV,
    sso_role_name: 'Admin',
    region: 'eu-west-1',
    services: 'local',
  },
};

async function tokenState(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const r = await runCli(['sso', 'status', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout).sessions as Array<Record<string, unknown>>).find(
    (s) => s.name === 'corp',
  ) as Record<string, unknown>;
}

for (const kind of STORE_KINDS) {
  describe(`sso login and status after a revocation (${kind})`, () => {
    const cli = signedInCli(kind, PROFILES);

    it('a live token is confirmed by the server; login reuses it', async () => {
      const corp = await tokenState(cli.env);
      assert.equal(corp.tokenState, 'valid');
      assert.equal(corp.tokenConfirmed, true);
      const login = await runCli(['sso', 'login', '--sso-session', 'corp'], cli.env);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Already signed in to .* \(corp\)/);
    });

    it('after the administrator revokes the sessions, status and login no longer trust the cache', async () => {
      await revokeUserEverything(cli.server.deps.ctx, 'alice', 'test');
      const corp = await tokenState(cli.env);
      assert.equal(corp.tokenState, 'revoked');
      const text = await runCli(['sso', 'status'], cli.env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /token: +no longer accepted by the server .*; run: idcenter sso login --sso-session corp/,
      );
      assert.doesNotMatch(text.stdout, /token: +valid/);

      const term = startPty(
        ['sso', 'login', '--sso-session', 'corp', '--use-device-code', '--no-browser'],
        cli.env,
      );
      try {
        await term.expect('The server no longer accepts the cached token for corp');
        await term.expect('Then enter the code');
        assert.doesNotMatch(term.text, /Already signed in/);
      } finally {
        term.kill();
        await term.exited;
      }
    });

    it('a server that cannot be reached leaves the token unconfirmed, not revoked', async () => {
      const offline = cliEnv(cli.home, { AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:9' });
      const { home: other, cleanup: clean } = tempHome();
      try {
        writeConfig(other, sessionConfig(cli.server, PROFILES));
        await signInWithoutBrowser(cli.server, cli.org.users.alice as string, other);
        const corp = await tokenState({ ...offline, HOME: other });
        assert.equal(corp.tokenState, 'valid');
        assert.equal(corp.tokenConfirmed, false);
        const text = await runCli(['sso', 'status'], { ...offline, HOME: other });
        assert.match(text.stdout, /not confirmed: the server could not be reached/);
      } finally {
        clean();
      }
    });
  });
}
