/**
 * `idcenter apply` provisions IAM in `aws` accounts: the real `idcenter` binary against moto's
 * server standing in for STS and IAM, with a provisioning credential of the management account
 * (moto's default account 123456789012, from the environment) and `AssumeRole` into
 * OrganizationAccountAccessRole for the member account. boto3 reads back what IAM stores
 * (get-role, list-attached-role-policies, get-role-policy, get-saml-provider) and makes the
 * changes by hand that apply must report (--dry-run) and set back.
 *
 * Bad input, each refused with a clear message before anything is written: no provisioning
 * credential, IAM unreachable or slow, a session longer than a role allows, a partition mismatch
 * between an account and an endpoint or a credential, a role of the wanted name that idcenter did
 * not create, a customer managed policy the account lacks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { snapshot } from '../helpers/apply.ts';
import {
  AUDIENCE,
  BIN,
  MANAGEMENT,
  MEMBER,
  type ProvisioningSetup,
  setupProvisioning,
  withStore,
} from '../helpers/iam.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { run } from '../helpers/python.ts';
import { freePort } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type StsFront, startStsFront } from '../helpers/sts-front.ts';

const LOCAL = '333333333333';
const DRIFT = '(changed outside idcenter: set back)';
const isIamLine = (line: string) => /^[+~-] IAM /.test(line);

const INLINE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }],
};

function org(
  options: {
    adminSession?: string;
    readOnlyCustomer?: string;
    memberReadOnly?: boolean;
    extra?: string;
  } = {},
) {
  const customer =
    options.readOnlyCustomer === undefined
      ? '[ { name: team-read, path: /teams/ } ]'
      : options.readOnlyCustomer;
  const readOnlyAccounts = options.memberReadOnly === false ? `["${LOCAL}"]` : `["${MEMBER}", "${LOCAL}"]`;
  return `
accounts:
  - { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, access: aws }
  - { id: "${MEMBER}", name: Production, email: prod@example.com, access: aws }
  - { id: "${LOCAL}", name: Sandbox, email: sandbox@example.com }
groups: [ { name: Developers } ]
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, groups: [Developers] }
permissionSets:
  - name: Admin
    sessionDuration: ${options.adminSession ?? 'PT4H'}
    managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
  - name: ReadOnly
    sessionDuration: PT2H
    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    customerManagedPolicies: ${customer}
    inlinePolicy: ${JSON.stringify(INLINE)}
    permissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
${options.extra ?? ''}
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}"] }
  - { group: Developers, permissionSet: ReadOnly, accounts: ${readOnlyAccounts} }
`;
}

function trust(account: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${account}:saml-provider/idcenter` },
        Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { 'SAML:aud': AUDIENCE } },
      },
    ],
  };
}

describe('idcenter apply provisions IAM in aws accounts (moto)', () => {
  let moto: Moto;
  let s: ProvisioningSetup;
  let metadata: string;

  before(async () => {
    moto = await startMoto({ managedPolicies: true });
    s = await setupProvisioning('sqlite', moto);
    // The member account has the customer managed policy the ReadOnly permission set names.
    await s.changeIam(MEMBER, [
      [
        'create_policy',
        {
          PolicyName: 'team-read',
          Path: '/teams/',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
          },
        },
      ],
    ]);
    const m = await run(process.execPath, [BIN, 'aws', 'metadata'], { env: s.env() });
    assert.equal(m.code, 0, m.stderr);
    metadata = m.stdout.trim();
  });
  after(async () => {
    await s?.cleanup();
    await moto?.stop();
  });

  it('--dry-run lists every IAM change and writes nothing, in IAM or the store', async () => {
    const { instance: _, ...before } = await withStore(s, snapshot);
    const r = await s.apply(org(), ['--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const iamLines = r.stdout.split('\n').filter(isIamLine);
    assert.deepEqual(iamLines, [
      `+ IAM ${MANAGEMENT}: create SAML provider idcenter from this server's metadata`,
      `+ IAM ${MANAGEMENT}: create role /idcenter/idcenter-Admin (permission set Admin, sessions up to 4h)`,
      `+ IAM ${MANAGEMENT}: attach arn:aws:iam::aws:policy/AdministratorAccess to role idcenter-Admin`,
      `+ IAM ${MEMBER}: create SAML provider idcenter from this server's metadata`,
      `+ IAM ${MEMBER}: create role /idcenter/idcenter-ReadOnly (permission set ReadOnly, sessions up to 2h, boundary arn:aws:iam::aws:policy/PowerUserAccess)`,
      `+ IAM ${MEMBER}: attach arn:aws:iam::aws:policy/ReadOnlyAccess to role idcenter-ReadOnly`,
      `+ IAM ${MEMBER}: attach arn:aws:iam::${MEMBER}:policy/teams/team-read to role idcenter-ReadOnly`,
      `+ IAM ${MEMBER}: put inline policy idcenter-inline on role idcenter-ReadOnly`,
    ]);
    assert.match(r.stdout, /IAM: 8 changes in 2 accounts\.\n/);
    assert.match(r.stdout, /Dry run: nothing was written\./);
    assert.deepEqual(await s.readIam(MANAGEMENT), { providers: {}, roles: {} });
    const { instance: __, ...after } = await withStore(s, snapshot);
    assert.deepEqual(after, before);
  });

  it('creates the provider from the server metadata and the roles as the permission sets say', async () => {
    const r = await s.apply(org());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Applied: .*, 8 IAM changes in /);

    const mgmt = await s.readIam(MANAGEMENT);
    assert.deepEqual(mgmt.providers, { [`arn:aws:iam::${MANAGEMENT}:saml-provider/idcenter`]: metadata });
    assert.deepEqual(mgmt.roles, {
      'idcenter-Admin': {
        arn: `arn:aws:iam::${MANAGEMENT}:role/idcenter/idcenter-Admin`,
        path: '/idcenter/',
        maxSessionDuration: 14400,
        trust: trust(MANAGEMENT),
        tags: { 'idcenter:managed-by': 'idcenter', 'idcenter:permission-set': 'Admin' },
        boundary: null,
        attached: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        inline: {},
      },
    });
    const member = await s.readIam(MEMBER);
    assert.deepEqual(Object.keys(member.providers), [`arn:aws:iam::${MEMBER}:saml-provider/idcenter`]);
    assert.deepEqual(member.roles['idcenter-ReadOnly'], {
      arn: `arn:aws:iam::${MEMBER}:role/idcenter/idcenter-ReadOnly`,
      path: '/idcenter/',
      maxSessionDuration: 7200,
      trust: trust(MEMBER),
      tags: { 'idcenter:managed-by': 'idcenter', 'idcenter:permission-set': 'ReadOnly' },
      boundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
      attached: [
        'arn:aws:iam::222222222222:policy/teams/team-read',
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
      ],
      inline: { 'idcenter-inline': INLINE },
    });
    // The local account's assignment makes no role anywhere.
    assert.deepEqual(Object.keys(member.roles), ['idcenter-ReadOnly']);

    const again = await s.apply(org());
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'No changes.\n');
  });

  it('audits each IAM change with the account and the call', async () => {
    const rows = await withStore(s, (store) =>
      store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'iam.change')
        .orderBy('id')
        .execute(),
    );
    assert.equal(rows.length, 8);
    assert.deepEqual(
      rows.map((r) => [r.actor, r.target_id, (JSON.parse(r.detail!) as { call: string }).call]),
      [
        ['cli:apply', MANAGEMENT, 'CreateSAMLProvider'],
        ['cli:apply', MANAGEMENT, 'CreateRole'],
        ['cli:apply', MANAGEMENT, 'AttachRolePolicy'],
        ['cli:apply', MEMBER, 'CreateSAMLProvider'],
        ['cli:apply', MEMBER, 'CreateRole'],
        ['cli:apply', MEMBER, 'AttachRolePolicy'],
        ['cli:apply', MEMBER, 'AttachRolePolicy'],
        ['cli:apply', MEMBER, 'PutRolePolicy'],
      ],
    );
  });

  it('--dry-run reports changes made by hand in IAM; apply sets them back', async () => {
    await s.changeIam(MEMBER, [
      [
        'detach_role_policy',
        { RoleName: 'idcenter-ReadOnly', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ],
      [
        'put_role_policy',
        {
          RoleName: 'idcenter-ReadOnly',
          PolicyName: 'handmade',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          },
        },
      ],
    ]);
    await s.changeIam(MANAGEMENT, [
      [
        'update_assume_role_policy',
        {
          RoleName: 'idcenter-Admin',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
          },
        },
      ],
    ]);
    const drifted = { mgmt: await s.readIam(MANAGEMENT), member: await s.readIam(MEMBER) };

    const dry = await s.apply(org(), ['--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.stdout.split('\n').filter(isIamLine), [
      `~ IAM ${MANAGEMENT}: set the trust policy of role idcenter-Admin ${DRIFT}`,
      `+ IAM ${MEMBER}: attach arn:aws:iam::aws:policy/ReadOnlyAccess to role idcenter-ReadOnly ${DRIFT}`,
      `- IAM ${MEMBER}: delete inline policy handmade of role idcenter-ReadOnly ${DRIFT}`,
    ]);
    assert.match(
      dry.stdout,
      /IAM: 3 changes in 2 accounts, 3 of them setting back changes made outside idcenter\./,
    );
    assert.deepEqual({ mgmt: await s.readIam(MANAGEMENT), member: await s.readIam(MEMBER) }, drifted);

    const r = await s.apply(org());
    assert.equal(r.code, 0, r.stderr);
    const mgmt = await s.readIam(MANAGEMENT);
    assert.deepEqual(mgmt.roles['idcenter-Admin']!.trust, trust(MANAGEMENT));
    const member = (await s.readIam(MEMBER)).roles['idcenter-ReadOnly']!;
    assert.deepEqual(member.attached, [
      'arn:aws:iam::222222222222:policy/teams/team-read',
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
    assert.deepEqual(member.inline, { 'idcenter-inline': INLINE });
    const drift = await withStore(s, (store) =>
      store.db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'iam.change')
        .orderBy('id', 'desc')
        .limit(3)
        .execute(),
    );
    assert.ok(drift.every((d) => (JSON.parse(d.detail!) as { drift?: boolean }).drift === true));
    assert.equal(
      (await s.apply(org(), ['--dry-run'])).stdout,
      'No changes.\nDry run: nothing was written.\n',
    );
  });

  it('a changed permission set changes its roles, and says which fields', async () => {
    const changed = org({ adminSession: 'PT8H', readOnlyCustomer: '[]' });
    const r = await s.apply(changed);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(isIamLine);
    assert.deepEqual(lines, [
      `~ IAM ${MANAGEMENT}: update role idcenter-Admin (sessions up to 4h → 8h)`,
      `- IAM ${MEMBER}: detach arn:aws:iam::${MEMBER}:policy/teams/team-read from role idcenter-ReadOnly`,
    ]);
    assert.equal((await s.readIam(MANAGEMENT)).roles['idcenter-Admin']!.maxSessionDuration, 28_800);
    assert.deepEqual((await s.readIam(MEMBER)).roles['idcenter-ReadOnly']!.attached, [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
  });

  it('removes the roles it made only with --prune, and never one it did not make', async () => {
    await s.changeIam(MEMBER, [
      [
        'create_role',
        {
          RoleName: 'idcenter-Handmade',
          Path: '/idcenter/',
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
        },
      ],
    ]);
    const without = org({ adminSession: 'PT8H', readOnlyCustomer: '[]', memberReadOnly: false });
    const kept = await s.apply(without);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(
      kept.stdout,
      /IAM has roles or providers idcenter made that the file no longer names; they are kept, and --prune would make 3 changes:\n {2}- IAM 222222222222: detach arn:aws:iam::aws:policy\/ReadOnlyAccess from role idcenter-ReadOnly\n {2}- IAM 222222222222: delete inline policy idcenter-inline of role idcenter-ReadOnly\n {2}- IAM 222222222222: delete role \/idcenter\/idcenter-ReadOnly\n/,
    );
    assert.ok((await s.readIam(MEMBER)).roles['idcenter-ReadOnly'], 'kept without --prune');

    const pruned = await s.apply(without, ['--prune']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /- IAM 222222222222: delete role \/idcenter\/idcenter-ReadOnly\n/);
    const member = await s.readIam(MEMBER);
    assert.deepEqual(Object.keys(member.roles), ['idcenter-Handmade']);
    // The account is still federated: its provider stays.
    assert.deepEqual(Object.keys(member.providers), [`arn:aws:iam::${MEMBER}:saml-provider/idcenter`]);
  });

  it('a role of the wanted name that idcenter did not make stops apply before anything is written', async () => {
    await s.changeIam(MEMBER, [
      [
        'create_role',
        {
          RoleName: 'idcenter-Admin',
          Path: '/idcenter/',
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
        },
      ],
    ]);
    const text = org({
      adminSession: 'PT8H',
      readOnlyCustomer: '[]',
      memberReadOnly: false,
      extra: '  - { name: Billing }',
    }).replace(
      `accounts: ["${MANAGEMENT}"] }`,
      `accounts: ["${MANAGEMENT}", "${MEMBER}"] }\n  - { user: alice, permissionSet: Billing, accounts: ["${MANAGEMENT}"] }`,
    );
    const storeBefore = await withStore(s, snapshot);
    const iamBefore = await s.readIam(MANAGEMENT);
    const r = await s.apply(text);
    assert.equal(r.code, 253, r.stdout);
    assert.match(
      r.stderr,
      /account 222222222222: role \/idcenter\/idcenter-Admin exists and was not created by idcenter/,
    );
    assert.match(
      r.stderr,
      /aws iam tag-role --role-name idcenter-Admin --tags Key=idcenter:managed-by,Value=idcenter/,
    );
    assert.match(r.stderr, /Nothing was written\.\n$/);
    assert.deepEqual(await withStore(s, snapshot), storeBefore);
    assert.deepEqual(await s.readIam(MANAGEMENT), iamBefore, 'no idcenter-Billing role in the other account');
    await s.changeIam(MEMBER, [['delete_role', { RoleName: 'idcenter-Admin' }]]);
  });

  it('a customer managed policy the account does not have stops apply, naming it', async () => {
    const text = org({ readOnlyCustomer: '[ { name: nope } ]' });
    const storeBefore = await withStore(s, snapshot);
    const r = await s.apply(text);
    assert.equal(r.code, 253, r.stdout);
    assert.match(
      r.stderr,
      /account 222222222222: policy arn:aws:iam::222222222222:policy\/nope \(of permission set ReadOnly\) does not exist in the account: create it there first/,
    );
    assert.deepEqual(await withStore(s, snapshot), storeBefore);
  });
});

describe('idcenter apply: IAM provisioning refuses bad input, writing nothing', () => {
  let moto: Moto;
  let s: ProvisioningSetup;
  const ONE = `
accounts: [ { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, access: aws } ]
users: [ { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe } ]
permissionSets: [ { name: Admin, sessionDuration: PT1H } ]
assignments: [ { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}"] } ]
`;
  const nothingWritten = async () => {
    assert.equal(
      await withStore(s, (st) => st.db.selectFrom('accounts').select('id').execute()).then((r) => r.length),
      0,
    );
    assert.deepEqual(await s.readIam(MANAGEMENT), { providers: {}, roles: {} });
  };

  before(async () => {
    moto = await startMoto();
    s = await setupProvisioning('sqlite', moto);
  });
  after(async () => {
    await s?.cleanup();
    await moto?.stop();
  });

  it('an aws account without a provisioning credential: names the account and what to set', async () => {
    const r = await s.apply(ONE, [], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assert.equal(r.code, 253, r.stdout);
    assert.match(
      r.stderr,
      /account 123456789012 \(access: aws, partition aws\) needs a provisioning credential to reach IAM/,
    );
    assert.match(r.stderr, /federation\.provisioning\.profile/);
    assert.match(r.stderr, /AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    assert.match(r.stderr, /federation\.provisioning\.enabled: false/);
    assert.match(r.stderr, /Nothing was written\.\n$/);
    await nothingWritten();
  });

  it('a provisioning profile that does not exist is named', async () => {
    const r = await s.apply(`federation: { provisioning: { profile: nosuch } }\n${ONE}`);
    assert.equal(r.code, 253, r.stdout);
    assert.match(r.stderr, /the profile "nosuch" \(federation\.provisioning\.profile\) gave none/);
    await nothingWritten();
  });

  it('with provisioning off, apply needs no credential and leaves IAM alone', async () => {
    const storeOnly = await s.apply(`federation: { provisioning: { enabled: false } }\n${ONE}`, [], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    });
    assert.equal(storeOnly.code, 0, storeOnly.stderr);
    assert.doesNotMatch(storeOnly.stdout, / IAM /);
    assert.deepEqual(await s.readIam(MANAGEMENT), { providers: {}, roles: {} });
    // Back to an empty store for the tests after this one.
    const emptied = await s.apply('federation: { provisioning: { enabled: false } }\n', ['--prune']);
    assert.equal(emptied.code, 0, emptied.stderr);
  });

  it('IAM unreachable: a clear error naming the endpoint', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await s.apply(ONE, [], { IDCENTER_AWS_IAM_ENDPOINT: closed });
    assert.equal(r.code, 255, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(`IAM at ${closed} cannot be reached \\(ECONNREFUSED\\) for GetSAMLProvider`),
    );
    assert.match(r.stderr, /IDCENTER_AWS_IAM_ENDPOINT/);
    assert.match(r.stderr, /Nothing was written\.\n$/);
    await nothingWritten();
  });

  it('IAM that does not answer: stopped at IDCENTER_AWS_IAM_TIMEOUT, naming the endpoint', async () => {
    const hang: StsFront = await startStsFront({ kind: 'hang' });
    try {
      const r = await s.apply(ONE, [], {
        IDCENTER_AWS_IAM_ENDPOINT: hang.url,
        IDCENTER_AWS_IAM_TIMEOUT: '1s',
      });
      assert.equal(r.code, 255, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(
          `IAM at ${hang.url} did not answer GetSAMLProvider .* within 1 s \\(IDCENTER_AWS_IAM_TIMEOUT\\)`,
        ),
      );
      assert.match(r.stderr, /Nothing was written\.\n$/);
    } finally {
      await hang.stop();
    }
    await nothingWritten();
  });

  it('a permission set longer than a role allows (12 hours) is refused with the file', async () => {
    const r = await s.apply(ONE.replace('PT1H', 'PT13H'));
    assert.equal(r.code, 253, r.stdout);
    assert.match(
      r.stderr,
      /permissionSets\[0\]\.sessionDuration \(line 4\): session duration PT13H is outside the allowed range PT1H to PT12H \(12 hours is the longest session an IAM role allows\)/,
    );
    await nothingWritten();
  });

  it('an account in one partition and an endpoint of another: refused before any call', async () => {
    const gov = ONE.replace('access: aws }', 'access: aws, partition: aws-us-gov }');
    const r = await s.apply(gov, [], { IDCENTER_AWS_IAM_ENDPOINT: 'https://iam.amazonaws.com' });
    assert.equal(r.code, 253, r.stdout);
    assert.match(
      r.stderr,
      /account 123456789012 is in partition aws-us-gov, but IDCENTER_AWS_IAM_ENDPOINT \(https:\/\/iam\.amazonaws\.com\) is in partition aws/,
    );
    await nothingWritten();
  });

  it('an account in one partition and a credential of another: refused by what STS answers', async () => {
    const front = await startStsFront({
      kind: 'forward',
      to: moto.url,
      rewrite: (xml) => xml.replaceAll('arn:aws:', 'arn:aws-us-gov:'),
    });
    try {
      const r = await s.apply(ONE, [], { IDCENTER_AWS_STS_ENDPOINT: front.url });
      assert.equal(r.code, 253, r.stdout);
      assert.match(
        r.stderr,
        /account 123456789012 is in partition aws, but the provisioning credential arn:aws-us-gov:sts::123456789012:user\/moto is in partition aws-us-gov/,
      );
      assert.equal(front.requests.at(-1)?.params.get('Action'), 'GetCallerIdentity');
    } finally {
      await front.stop();
    }
    await nothingWritten();
  });
});

for (const kind of STORE_KINDS) {
  describe(`idcenter apply provisioning writes its audit events in the store (${kind})`, () => {
    let moto: Moto;
    let s: ProvisioningSetup;
    before(async () => {
      moto = await startMoto();
      s = await setupProvisioning(kind, moto);
    });
    after(async () => {
      await s?.cleanup();
      await moto?.stop();
    });

    it('creates the provider and the role, one audit event each', async () => {
      const r = await s.apply(`
accounts: [ { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, access: aws } ]
users: [ { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe } ]
permissionSets: [ { name: Admin, sessionDuration: PT1H } ]
assignments: [ { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}"] } ]
`);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys((await s.readIam(MANAGEMENT)).roles), ['idcenter-Admin']);
      const rows = await withStore(s, (store) =>
        store.db
          .selectFrom('audit_events')
          .select(['action', 'target_id'])
          .where('action', 'like', 'iam.%')
          .execute(),
      );
      assert.deepEqual(rows, [
        { action: 'iam.change', target_id: MANAGEMENT },
        { action: 'iam.change', target_id: MANAGEMENT },
      ]);
    });
  });
}
