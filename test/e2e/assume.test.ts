/**
 * `idcenter assume`: the account and role menu in a terminal (type to search, Enter), then the
 * command runs with that role's credentials, which the AWS CLI uses against the server; with
 * `--account`/`--role` narrowing to one there is no menu; a choice that matches nothing is said
 * with what there is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { DEV, PROD, runCli, signedInCli, startPty } from './cli-harness.ts';

const PROFILES = {
  dev: {
    sso_session: 'corp',
    sso_account_id: DEV,
    sso_role_name: 'Admin',
    region: 'eu-west-1',
    services: 'local',
  },
};
const SHOW =
  'echo "assumed: $IDCENTER_ASSUMED region: $AWS_REGION"; aws sts get-caller-identity --output text';

for (const kind of STORE_KINDS) {
  describe(`idcenter assume (${kind})`, () => {
    const cli = signedInCli(kind, PROFILES);

    it('searches the menu by typing, then runs the command as the chosen role', async () => {
      const term = startPty(['assume', '--profile', 'dev', '--', 'sh', '-c', SHOW], cli.env);
      await term.expect('Choose an account and role (type to search):');
      await term.expect(`Dev (${DEV}) / Admin`);
      await term.expect(`Dev (${DEV}) / ReadOnly`);
      await term.expect(`prod (${PROD}) / Admin`);
      term.send('prod adm');
      await new Promise((r) => setTimeout(r, 300));
      term.send('\r');
      await term.expect(`assumed: prod (${PROD}) / Admin region: eu-west-1`);
      const id = await term.expect(
        new RegExp(`${PROD}\\s+arn:aws:sts::${PROD}:assumed-role/AWSReservedSSO_Admin_\\w+/alice`),
      );
      assert.ok(id);
      assert.equal(await term.exited, 0, term.text);
    });

    it('--account and --role narrowing to one role: no menu', async () => {
      const r = await runCli(
        ['assume', '--sso-session', 'corp', '--account', 'dev', '--role', 'readonly', '--', 'sh', '-c', SHOW],
        cli.env,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Choose an account/);
      assert.match(r.stdout, new RegExp(`assumed: Dev \\(${DEV}\\) / ReadOnly`));
      assert.match(r.stdout, /assumed-role\/AWSReservedSSO_ReadOnly_\w+\/alice/);
    });

    it('the command’s exit code is passed through; a choice that matches nothing is said', async () => {
      const r = await runCli(
        ['assume', '--sso-session', 'corp', '--account', PROD, '--', 'sh', '-c', 'exit 9'],
        cli.env,
      );
      assert.equal(r.code, 9, r.stderr);
      const none = await runCli(
        ['assume', '--sso-session', 'corp', '--account', '999999999999', '--', 'true'],
        cli.env,
      );
      assert.equal(none.code, 253);
      assert.match(
        none.stderr,
        /No account 999999999999 is available to you; you may use: Dev \(111111111111\) \/ Admin/,
      );
    });
  });
}
