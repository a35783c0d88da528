/**
 * `idcenter export`, on SQLite and PostgreSQL: the organization after changes made with boto3
 * through identitystore and sso-admin is written as a file that `apply --dry-run` finds nothing
 * to change in, and that gives the same organization when applied to an empty store. Private
 * (0600), the same bytes every time, no secrets.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatPlan } from '../../src/app/apply/format.ts';
import { computePlan, isEmptyPlan } from '../../src/app/apply/plan.ts';
import { loadState } from '../../src/app/apply/state.ts';
import { createAppContext } from '../../src/app/context.ts';
import { exportOrg } from '../../src/app/export/index.ts';
import { parseOrgFile } from '../../src/app/org-file/index.ts';
import { BOTO3_ADMIN_CLIENTS, changeAsAdministrator, startAdminServer } from '../helpers/admin.ts';
import { type AppliedStore, idcenter, openAppliedStore, SMALL_ORG } from '../helpers/apply.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS, type TempStoreUrl, tempStoreUrl } from '../helpers/stores.ts';

/**
 * Changes an administrator makes with boto3: a user without a name, a group, a permission set,
 * assignments, OUs without accounts.
 */
const BOTO3_CHANGES = `${BOTO3_ADMIN_CLIENTS}gina = ids.create_user(IdentityStoreId=store, UserName='gina', DisplayName='Gina Ops',
    Name={'MiddleName': 'Q.', 'HonorificPrefix': 'Dr.', 'Formatted': 'Dr. Gina Q. Ops'}, NickName='gigi',
    Emails=[{'Value': 'gina@example.com', 'Type': 'work', 'Primary': True}], Title='Operator', UserType='Employee',
    PhoneNumbers=[{'Value': '+1 555 0100', 'Type': 'mobile', 'Primary': True}],
    Addresses=[{'StreetAddress': '1 Main St', 'Locality': 'Springfield', 'PostalCode': '12345', 'Country': 'US', 'Primary': True}],
    PreferredLanguage='en-US', Locale='en_US', Timezone='America/Chicago', ProfileUrl='https://example.com/gina',
    Extensions={'aws:identitystore:enterprise': {'costCenter': '42', 'department': 'Ops'}})['UserId']
ids.update_user(IdentityStoreId=store, UserId=gina, Operations=[{'AttributePath': 'externalIds',
    'AttributeValue': [{'Issuer': 'https://scim.example.com', 'Id': 'u-gina'}]}])
ids.update_user(IdentityStoreId=store, UserId=user_id('bob'), Operations=[{'AttributePath': 'displayName', 'AttributeValue': 'Bob Roe, Jr.'}])
ops = ids.create_group(IdentityStoreId=store, DisplayName='Ops', Description='On call: 24/7')['GroupId']
ids.update_group(IdentityStoreId=store, GroupId=ops, Operations=[{'AttributePath': 'externalIds',
    'AttributeValue': [{'Issuer': 'https://scim.example.com', 'Id': 'g-ops'}]}])
ids.create_group_membership(IdentityStoreId=store, GroupId=ops, MemberId={'UserId': gina})
ps = sso.create_permission_set(InstanceArn=inst, Name='Auditors', Description='Read the logs', SessionDuration='PT2H',
    RelayState='https://console.aws.amazon.com/cloudtrail', Tags=[{'Key': 'team', 'Value': 'sec'}])['PermissionSet']['PermissionSetArn']
sso.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=ps, ManagedPolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')
sso.attach_customer_managed_policy_reference_to_permission_set(InstanceArn=inst, PermissionSetArn=ps,
    CustomerManagedPolicyReference={'Name': 'LogReader', 'Path': '/sec/'})
sso.put_permissions_boundary_to_permission_set(InstanceArn=inst, PermissionSetArn=ps,
    PermissionsBoundary={'CustomerManagedPolicyReference': {'Name': 'Boundary'}})
sso.put_inline_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=ps, InlinePolicy=json.dumps({'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Action': ['cloudtrail:LookupEvents'], 'Resource': '*', 'Condition': {'Bool': {'aws:SecureTransport': 'true'}}}]}))
sso.create_account_assignment(InstanceArn=inst, TargetId=wl, TargetType='AWS_ACCOUNT', PermissionSetArn=ps, PrincipalType='GROUP', PrincipalId=ops)
org = boto3.client('organizations', **kw)
root = org.list_roots()['Roots'][0]['Id']
sandbox = org.create_organizational_unit(ParentId=root, Name='Sandbox')['OrganizationalUnit']['Id']
org.create_organizational_unit(ParentId=sandbox, Name='Empty')
print(json.dumps({'gina': gina}))
`;

/** The file without its comment lines (the notes say what the store holds beyond the file). */
const body = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

for (const kind of STORE_KINDS) {
  describe(`idcenter export (${kind})`, () => {
    let server: TestServer;
    let dir: string;
    let fresh: TempStoreUrl;
    before(async () => {
      server = await startAdminServer(kind);
      dir = fs.mkdtempSync(path.join(server.config.dataDir, 'export-'));
      fresh = await tempStoreUrl(kind);
      await changeAsAdministrator(server, BOTO3_CHANGES);
    });
    after(async () => {
      await server?.stop();
      await fresh?.cleanup();
    });

    it('writes a private file that apply --dry-run finds nothing to change in, the same bytes each time', async () => {
      const file = path.join(dir, 'org.yaml');
      const db = ['--database-url', server.config.databaseUrl];
      const r = await idcenter(['export', '--output', file, ...db]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /Wrote .*org\.yaml: 2 accounts, 2 groups, 7 users, 9 permission sets/);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const text = fs.readFileSync(file, 'utf8');
      // What the APIs changed is in the file, in the file's own words.
      // Every identitystore attribute and external id, in the file's keys.
      assert.match(
        text,
        new RegExp(
          [
            '- userName: gina',
            'displayName: Gina Ops',
            'middleName: Q\\.',
            'honorificPrefix: Dr\\.',
            'formattedName: Dr\\. Gina Q\\. Ops',
            'groups: \\[Ops\\]',
            'nickName: gigi',
            'title: Operator',
            'userType: Employee',
            'profileUrl: https://example\\.com/gina',
            'preferredLanguage: en-US',
            'locale: en_US',
            'timezone: America/Chicago',
            'emails:',
            '  - value: gina@example\\.com',
            '    type: work',
            '    primary: true',
            'addresses:',
            '  - streetAddress: "1 Main St"',
            '    locality: Springfield',
            '    postalCode: "12345"',
            '    country: US',
            '    primary: true',
            'phoneNumbers:',
            '  - value: "\\+1 555 0100"',
            '    type: mobile',
            '    primary: true',
            'extensions:',
            '  aws:identitystore:enterprise:',
            '    costCenter: "42"',
            '    department: Ops',
            'externalIds:',
            '  - issuer: https://scim\\.example\\.com',
            '    id: u-gina',
          ].join('\\n {4}'),
        ),
      );
      assert.match(
        text,
        /displayName: Bob Roe, Jr\.\n {4}givenName: Bob\n {4}familyName: Roe\n {4}email: bob@example\.com\n/,
      );
      assert.match(
        text,
        /- \{ name: Ops, description: "On call: 24\/7", externalIds: \[\{ issuer: https:\/\/scim\.example\.com, id: g-ops \}\] \}/,
      );
      assert.match(
        text,
        /- name: Auditors\n {4}description: Read the logs\n {4}sessionDuration: PT2H\n {4}relayState: https:\/\/console\.aws\.amazon\.com\/cloudtrail\n {4}managedPolicies: \[arn:aws:iam::aws:policy\/ReadOnlyAccess\]\n {4}customerManagedPolicies:\n {6}- \{ name: LogReader, path: \/sec\/ \}|customerManagedPolicies:\n {6}- name: LogReader\n {8}path: \/sec\//,
      );
      assert.match(text, /permissionsBoundary:\n {6}name: Boundary\n {6}path: \//);
      assert.match(text, /aws:SecureTransport: "true"/);
      assert.match(text, /- \{ group: Ops, permissionSet: Auditors, accounts: \["222222222222"\] \}/);
      assert.match(text, /^administrators:\n {2}permissionSets: \[/m);
      assert.match(text, /^organizationalUnits: \[\/Sandbox\/Empty\]$/m);
      // Nothing of the identity store is left out.
      assert.doesNotMatch(text, /^# Not in this file/m);
      assert.doesNotMatch(text, /^\s*-? ?password:|\$argon2/m);

      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^No changes\.\n/);

      const again = await idcenter(['export', ...db]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, text);
    });

    it('applied to an empty store, gives the same organization', async () => {
      const file = path.join(dir, 'org.yaml');
      const apply = await idcenter(['apply', '-f', file, '--database-url', fresh.url]);
      assert.equal(apply.code, 0, apply.stderr);
      assert.match(apply.stdout, /\+ create user gina/);
      assert.match(apply.stdout, /^\+ create OU \/Sandbox\/Empty$/m);
      const back = await idcenter(['export', '--database-url', fresh.url]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(body(back.stdout), body(fs.readFileSync(file, 'utf8')));
      const again = await idcenter(['apply', '-f', file, '--dry-run', '--database-url', fresh.url]);
      assert.match(again.stdout, /^No changes\.\n/);
    });

    it('--help says where the file goes and what is left out', async () => {
      const r = await idcenter(['export', '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /--output <file>/);
      assert.match(r.stdout, /Secrets are never written/);
    });
  });
}

/** Settings off their defaults everywhere the file has them, and a directory as the identity source. */
const DIRECTORY_ORG = `
managementAccount: "111111111111"
federation: { partition: aws-us-gov, providerName: corp-idc, rolePath: /sso/ }
identitySource:
  type: ldap
  urls: [ldap://ldap1.example.com, ldaps://ldap2.example.com]
  startTls: true
  bindDn: cn=idcenter,dc=example,dc=com
  bindPasswordEnv: LDAP_BIND_PASSWORD
  users: { baseDn: "ou=people,dc=example,dc=com", filter: "(objectClass=person)" }
  groups: { baseDn: "ou=groups,dc=example,dc=com" }
  attributes: { userName: mail, disabled: nsAccountLock }
  syncInterval: 5m
  fullSyncInterval: 12h
  deletionGuard: 25
  timeout: 30s
accounts:
  - { id: "111111111111", name: Management, email: mgmt@example.com }
  - { id: "222222222222", name: Gov, email: gov@example.com, ou: /Gov, access: aws, federation: oidc }
  - { id: "333333333333", name: Gov 2, email: gov2@example.com, ou: /Gov/Sub }
users:
  - { userName: breakglass, displayName: Break Glass, disabled: true, attributes: { team: ops } }
permissionSets:
  - name: Ops
    permissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess
    sessionTags: { team: team }
assignments:
  - { user: breakglass, permissionSet: Ops, ous: [/Gov] }
`;

for (const kind of STORE_KINDS) {
  describe(`export of a directory-sourced store (${kind})`, () => {
    let applied: AppliedStore;
    before(async () => {
      applied = await openAppliedStore(kind, DIRECTORY_ORG);
      // What a directory sync writes: a user and a group of the directory, the user in it, and
      // assignments to each.
      const db = applied.store.db;
      const now = Date.now();
      const common = {
        created_at: now,
        updated_at: now,
        created_by: 'system:directory',
        updated_by: 'system:directory',
      };
      await db
        .insertInto('users')
        .values({
          id: 'd-user-1',
          user_name: 'dora',
          user_name_lower: 'dora',
          display_name: 'Dora',
          given_name: null,
          family_name: null,
          email: null,
          status: 'ENABLED',
          password_hash: null,
          external_id: 'guid-1',
          custom_attributes: null,
          source: 'directory',
          directory_dn: 'uid=dora,ou=people,dc=example,dc=com',
          ...common,
        })
        .execute();
      await db
        .insertInto('groups')
        .values({
          id: 'd-group-1',
          display_name: 'LDAP Admins',
          display_name_lower: 'ldap admins',
          description: null,
          external_id: 'guid-2',
          source: 'directory',
          directory_dn: 'cn=admins,ou=groups,dc=example,dc=com',
          ...common,
        })
        .execute();
      await db
        .insertInto('group_memberships')
        .values({
          id: 'd-m-1',
          group_id: 'd-group-1',
          user_id: 'd-user-1',
          created_at: now,
          created_by: 'system:directory',
        })
        .execute();
      const ps = await db.selectFrom('permission_sets').select('id').executeTakeFirstOrThrow();
      await db
        .insertInto('account_assignments')
        .values([
          {
            id: 'd-a-1',
            account_id: '222222222222',
            permission_set_id: ps.id,
            principal_type: 'GROUP',
            principal_id: 'd-group-1',
            created_at: now,
            created_by: 'x',
          },
          {
            id: 'd-a-2',
            account_id: '222222222222',
            permission_set_id: ps.id,
            principal_type: 'USER',
            principal_id: 'd-user-1',
            created_at: now,
            created_by: 'x',
          },
        ])
        .execute();
    });
    after(async () => applied?.close());

    it('writes the identity source and federation settings, and names what comes from the directory', async () => {
      const r = await exportOrg(createAppContext(applied.store));
      assert.deepEqual(r.problems, []);
      assert.match(
        r.text,
        /^identitySource:\n {2}type: ldap\n {2}urls: \[ldap:\/\/ldap1\.example\.com, ldaps:\/\/ldap2\.example\.com\]\n {2}startTls: true\n/m,
      );
      assert.match(r.text, /^ {2}bindPasswordEnv: LDAP_BIND_PASSWORD$/m);
      assert.match(r.text, /^ {2}deletionGuard: 25$/m);
      assert.match(
        r.text,
        /^federation:\n {2}providerName: corp-idc\n {2}rolePath: \/sso\/\n {2}partition: aws-us-gov\n {2}region: us-gov-west-1$/m,
      );
      assert.match(
        r.text,
        /^# Not in this file: 1 users and 1 groups of the directory are not written as local users and groups: they come from the identity source\.$/m,
      );
      assert.match(
        r.text,
        /^# Not in this file: 1 assignments made directly to directory users are not written/m,
      );
      assert.match(r.text, /^# Not in this file: federation\.provisioning/m);
      assert.doesNotMatch(r.text, /dora/);
      // An assignment to a directory group is the file's to make: it stays.
      assert.match(r.text, /- \{ group: LDAP Admins, permissionSet: Ops, accounts: \["222222222222"\] \}/);
      assert.match(r.text, /- \{ user: breakglass, permissionSet: Ops, ous: \[\/Gov\] \}/);
      assert.match(
        r.text,
        /- userName: breakglass\n {4}displayName: Break Glass\n {4}disabled: true\n {4}attributes:\n {6}team: ops\n/,
      );

      const parsed = parseOrgFile(r.text);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
      const plan = computePlan(parsed.org, await loadState(applied.store.db), { prune: false });
      assert.ok(isEmptyPlan(plan), formatPlan(plan));
      // What the file cannot hold is what --prune would take: the direct assignment of a directory user.
      assert.deepEqual(
        plan.assignments.delete.map((a) => [a.principalType, a.principal]),
        [['USER', 'dora']],
      );
      assert.equal(plan.users.delete.length + plan.groups.delete.length + plan.memberships.delete.length, 0);
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`export of values the file refuses (${kind})`, () => {
    let applied: AppliedStore;
    before(async () => {
      applied = await openAppliedStore(kind, SMALL_ORG);
      // A display name the identitystore API takes and the organization file does not; an
      // e-mail the file's short \`email\` refuses, which \`emails\` says as the API does.
      await applied.store.db
        .updateTable('users')
        .set({ display_name: 'Alice\tAdmin', email: 'alice@localhost' })
        .where('user_name', '=', 'alice')
        .execute();
    });
    after(async () => applied?.close());

    it('writes the file, lists each value with its path, and exits 253', async () => {
      const file = path.join(applied.temp.dataDir, 'org.yaml');
      const r = await idcenter(['export', '--output', file, '--database-url', applied.temp.url]);
      assert.equal(r.code, 253);
      assert.match(
        r.stderr,
        /the store holds 1 value that the organization file refuses; apply will refuse the file until it is changed:\n {2}users\[0\]\.displayName: display name must not contain control or invisible formatting characters \(found U\+0009\)/,
      );
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /displayName: "Alice\\tAdmin"/);
      assert.match(text, /\n {4}emails:\n {6}- value: alice@localhost\n {8}primary: true\n/);
      const apply = await idcenter(['apply', '-f', file, '--dry-run', '--database-url', applied.temp.url]);
      assert.equal(apply.code, 253);
    });

    it('says so when the file cannot be written, and exits 255', async () => {
      const r = await idcenter([
        'export',
        '--output',
        path.join(applied.temp.dataDir, 'no', 'org.yaml'),
        '--database-url',
        applied.temp.url,
      ]);
      assert.equal(r.code, 255);
      assert.match(r.stderr, /cannot write .*no\/org\.yaml: no such directory/);
    });
  });
}
