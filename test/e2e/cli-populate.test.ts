/**
 * `idcenter configure populate` on an organization of 1,000 accounts with 3 roles each, on
 * SQLite and PostgreSQL: every profile written (and readable by botocore and the AWS CLI),
 * stable names on re-runs, hand-written profiles never touched, --prune after access is removed,
 * templates, and the standard portal API path (as against AWS) giving the same result.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/python.ts';
import { accountIds, type SeededOrg } from '../helpers/seed.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  cliEnv,
  runCli,
  sessionConfig,
  signInWithoutBrowser,
  startSeededServer,
  tempHome,
  writeConfig,
} from './cli-harness.ts';

const IDS = accountIds(1000, 500_000_000_000);
const ROLES = ['Admin', 'Billing', 'ReadOnly'];
const name = (i: number) =>
  i === 1 ? 'Shared' : i === 2 ? 'Shared' : `Account ${String(i).padStart(4, '0')}`;

/** botocore's view of the file: profile name → keys. */
async function botocoreProfiles(configFile: string): Promise<Record<string, Record<string, string>>> {
  const r = await run('python3', [
    '-c',
    'import json, sys; from botocore.configloader import raw_config_parse, build_profile_map; print(json.dumps(build_profile_map(raw_config_parse(sys.argv[1]))["profiles"]))',
    configFile,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function sectionText(text: string, header: string): string {
  const start = text.indexOf(`${header}\n`);
  assert.ok(start >= 0, `${header} missing`);
  const next = text.indexOf('\n[', start + 1);
  return text.slice(start, next < 0 ? undefined : next + 1);
}

for (const kind of STORE_KINDS) {
  describe(`idcenter configure populate, 1,000 accounts x 3 roles (${kind})`, () => {
    let server: TestServer;
    let org: SeededOrg;
    let home: string;
    let cleanup: () => void;
    let configFile: string;
    const homes: (() => void)[] = [];

    before(async () => {
      ({ server, org } = await startSeededServer(kind, {
        users: [{ userName: 'alice' }, { userName: 'bob' }],
        accounts: IDS.map((id, i) => ({ id, name: name(i), email: `aws+${i}@example.com` })),
        permissionSets: ROLES.map((r) => ({ name: r })),
        assignments: [
          ...ROLES.map((r) => ({ user: 'alice', permissionSet: r, accounts: IDS })),
          { user: 'bob', permissionSet: 'ReadOnly', accounts: IDS.slice(0, 3) },
          { user: 'bob', permissionSet: 'Admin', accounts: IDS.slice(1, 3) },
        ],
      }));
      ({ home, cleanup } = tempHome());
      configFile = writeConfig(
        home,
        `# hand-written, keep\n${sessionConfig(server, {
          mine: {
            sso_session: 'corp',
            sso_account_id: IDS[5] as string,
            sso_role_name: 'Admin',
            region: 'eu-west-1',
            services: 'local',
          },
          'Account-0007.Admin': { region: 'ap-south-1', output: 'table' },
        })}`,
      );
      await signInWithoutBrowser(server, org.users.alice as string, home);
    });
    after(async () => {
      cleanup?.();
      for (const c of homes) c();
      await server?.stop();
    });

    it('writes a profile for every account and role; botocore and the AWS CLI read them', async () => {
      const original = fs.readFileSync(configFile, 'utf8');
      // A dry run first: it lists every profile it would write, and writes nothing.
      const dry = await runCli(['configure', 'populate', '--dry-run'], cliEnv(home));
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^Would populate .*\n {2}3000 added/);
      assert.match(dry.stdout, new RegExp(`\n {2}\\+ Account-0042\\.ReadOnly +${IDS[42]}  ReadOnly\n`));
      assert.equal(dry.stdout.split('\n').filter((l) => l.startsWith('  + ')).length, 3000);
      assert.equal(fs.readFileSync(configFile, 'utf8'), original);
      const r = await runCli(['configure', 'populate'], cliEnv(home));
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /from 1000 accounts and 3000 roles \(idcenter discovery\):\n {2}3000 added, 0 updated, 0 unchanged, 0 removed/,
      );
      assert.match(
        r.stdout,
        /Name taken: Account-0007\.Admin \(kept the hand-written profile; generated Account-0007\.Admin-500000000007 instead\)/,
      );
      assert.doesNotMatch(
        r.stdout,
        /Name taken: Shared/,
        'two generated names colliding is not a hand-written clash',
      );
      const text = fs.readFileSync(configFile, 'utf8');
      assert.ok(text.startsWith(original), 'existing text kept as it was, new profiles appended');
      const profiles = await botocoreProfiles(configFile);
      const generated = Object.entries(profiles).filter(([, p]) => p.idcenter_populate === 'corp');
      assert.equal(generated.length, 3000);
      assert.deepEqual(profiles['Account-0042.ReadOnly'], {
        sso_session: 'corp',
        services: 'local',
        sso_account_id: IDS[42],
        sso_role_name: 'ReadOnly',
        region: 'eu-west-1',
        idcenter_populate: 'corp',
      });
      // Same name for two accounts: the second one gets its account id.
      assert.equal(profiles['Shared.Admin']?.sso_account_id, IDS[1]);
      assert.equal(profiles[`Shared.Admin-${IDS[2]}`]?.sso_account_id, IDS[2]);
      // Hand-written profiles are untouched.
      assert.equal(
        sectionText(text, '[profile Account-0007.Admin]'),
        '[profile Account-0007.Admin]\nregion = ap-south-1\noutput = table\n',
      );
      const aws = await run('aws', ['sts', 'get-caller-identity', '--profile', 'Account-0999.Billing'], {
        env: cliEnv(home),
      });
      assert.equal(aws.code, 0, aws.stderr);
      assert.equal(JSON.parse(aws.stdout).Account, IDS[999]);
    });

    it('a second run changes nothing', async () => {
      const before = fs.readFileSync(configFile, 'utf8');
      const mtime = fs.statSync(configFile).mtimeMs;
      const r = await runCli(['configure', 'populate', '--sso-session', 'corp'], cliEnv(home));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /0 added, 0 updated, 3000 unchanged, 0 removed/);
      assert.equal(fs.readFileSync(configFile, 'utf8'), before);
      assert.equal(fs.statSync(configFile).mtimeMs, mtime);
    });

    it('--prune removes only generated profiles that lost access; names of the rest stay', async () => {
      const lost = IDS.slice(0, 10);
      await server.deps.ctx.store.db
        .deleteFrom('account_assignments')
        .where('account_id', 'in', lost)
        .where('principal_id', '=', org.users.alice as string)
        .execute();
      await server.deps.ctx.store.db
        .updateTable('instance')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .execute();
      const before = await botocoreProfiles(configFile);
      const textBefore = fs.readFileSync(configFile, 'utf8');

      const dry = await runCli(['configure', 'populate'], cliEnv(home));
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /0 added, 0 updated, 2970 unchanged, 0 removed/);
      assert.match(
        dry.stdout,
        /30 generated profiles lost access: .*\nRun again with --prune to remove them\./,
      );
      assert.equal(fs.readFileSync(configFile, 'utf8'), textBefore, 'nothing removed without --prune');

      const r = await runCli(['configure', 'populate', '--prune'], cliEnv(home));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /0 added, 0 updated, 2970 unchanged, 30 removed/);
      const afterProfiles = await botocoreProfiles(configFile);
      const removed = Object.keys(before).filter((n) => !(n in afterProfiles));
      assert.equal(removed.length, 30);
      for (const n of removed) {
        assert.equal(before[n]?.idcenter_populate, 'corp');
        assert.ok(lost.includes(before[n]?.sso_account_id as string));
      }
      // The hand-written profile for a lost account stays, and so do the other names.
      assert.ok('mine' in afterProfiles);
      assert.ok('Account-0007.Admin' in afterProfiles);
      for (const n of Object.keys(afterProfiles)) assert.deepEqual(afterProfiles[n], before[n], n);
      assert.ok(fs.readFileSync(configFile, 'utf8').startsWith('# hand-written, keep\n'));
    });

    it('--template and --dry-run', async () => {
      const text = fs.readFileSync(configFile, 'utf8');
      const r = await runCli(
        ['configure', 'populate', '--template', '{role_name}@{account_id}', '--dry-run'],
        cliEnv(home),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Would populate .*\n {2}0 added, 0 updated, 2970 unchanged/);
      assert.equal(fs.readFileSync(configFile, 'utf8'), text);
      const bad = await runCli(['configure', 'populate', '--template', '{acount}.{role_name}'], cliEnv(home));
      assert.equal(bad.code, 252);
      assert.match(bad.stderr, /unknown placeholder \{acount\}/);
    });

    it('the standard portal API (as against AWS) gives the same profiles as discovery', async () => {
      const results: string[] = [];
      for (const args of [[], ['--no-discovery']]) {
        const h = tempHome();
        homes.push(h.cleanup);
        const file = writeConfig(h.home, sessionConfig(server, {}));
        await signInWithoutBrowser(server, org.users.bob as string, h.home);
        const r = await runCli(
          ['configure', 'populate', '--template', '{role_name}@{account_id}', ...args],
          cliEnv(h.home, { AWS_ENDPOINT_URL: server.url }),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, args.length ? /\(portal API\)/ : /\(idcenter discovery\)/);
        assert.match(r.stdout, /5 added/);
        results.push(fs.readFileSync(file, 'utf8'));
      }
      assert.equal(results[0], results[1]);
      assert.match(results[0] as string, new RegExp(`\\[profile Admin@${IDS[1]}\\]`));
    });
  });
}

describe('idcenter configure populate needs a signed-in session', () => {
  it('says how to sign in when there is no token', async () => {
    const h = tempHome();
    try {
      writeConfig(
        h.home,
        '[sso-session corp]\nsso_start_url = http://127.0.0.1:9/start\nsso_region = us-east-1\n',
      );
      const r = await runCli(['configure', 'populate'], cliEnv(h.home));
      assert.equal(r.code, 255);
      assert.match(
        r.stderr,
        /Token for corp does not exist\. To sign in, run: idcenter sso login --sso-session corp/,
      );
      assert.equal(fs.existsSync(path.join(h.home, '.aws', 'sso')), false);
    } finally {
      h.cleanup();
    }
  });
});
