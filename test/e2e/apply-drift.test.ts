/**
 * Drift, on SQLite and PostgreSQL: after an administrator changes the organization with boto3
 * (identitystore, sso-admin and organizations), `idcenter apply --dry-run` names each change, who made it and
 * through which service, and what apply will do; `idcenter apply` sets the file's state back,
 * after which the dry run has nothing to say. A change the file does not pin (a status) is named
 * and kept.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ORG, BOTO3_ADMIN_CLIENTS, changeAsAdministrator, startAdminServer } from '../helpers/admin.ts';
import { idcenter } from '../helpers/apply.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const BOTO3_DRIFT = `${BOTO3_ADMIN_CLIENTS}def group_id(name):
    return ids.get_group_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'displayName', 'AttributeValue': name}})['GroupId']
def ps_arn(name):
    for arn in sso.list_permission_sets(InstanceArn=inst, MaxResults=100)['PermissionSets']:
        if sso.describe_permission_set(InstanceArn=inst, PermissionSetArn=arn)['PermissionSet']['Name'] == name:
            return arn
ids.update_user(IdentityStoreId=store, UserId=user_id('bob'), Operations=[{'AttributePath': 'displayName', 'AttributeValue': 'Robert'}])
m = ids.get_group_membership_id(IdentityStoreId=store, GroupId=group_id('Developers'), MemberId={'UserId': user_id('carol')})['MembershipId']
ids.delete_group_membership(IdentityStoreId=store, MembershipId=m)
ids.create_user(IdentityStoreId=store, UserName='gina', DisplayName='Gina')
sso.update_permission_set(InstanceArn=inst, PermissionSetArn=ps_arn('Developer'), SessionDuration='PT3H')
sso.delete_account_assignment(InstanceArn=inst, TargetId=wl, TargetType='AWS_ACCOUNT', PermissionSetArn=ps_arn('NotDirectory'),
    PrincipalType='USER', PrincipalId=user_id('dave'))
org = boto3.client('organizations', **kw)
root = org.list_roots()['Roots'][0]['Id']
parent = org.list_parents(ChildId=wl)['Parents'][0]['Id']
org.move_account(AccountId=wl, SourceParentId=parent, DestinationParentId=root)
`;

const WHEN = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

for (const kind of STORE_KINDS) {
  describe(`apply --dry-run shows drift (${kind})`, () => {
    let server: TestServer;
    let file: string;
    let db: string[];
    before(async () => {
      server = await startAdminServer(kind);
      file = path.join(server.config.dataDir, 'org.yaml');
      fs.writeFileSync(file, ADMIN_ORG);
      db = ['--database-url', server.config.databaseUrl];
    });
    after(async () => server?.stop());

    it('names every change made through identitystore and sso-admin, who made it, and what apply does', async () => {
      const clean = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(clean.stdout, 'No changes.\nDry run: nothing was written.\n');

      await changeAsAdministrator(server, BOTO3_DRIFT);

      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(dry.code, 0, dry.stderr);
      const out = dry.stdout;
      const line = (text: string) => new RegExp(`^! changed outside the file: ${text}$`, 'm');
      assert.match(out, /^~ update user bob \(displayName Robert → Bob\)$/m);
      assert.match(
        out,
        line(
          `user bob updated \\(DisplayName\\) by user:alice via identitystore at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `user carol in group Developers removed by user:alice via identitystore at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `permission set Developer updated \\(sessionDuration\\) by user:alice via sso-admin at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(
          `assignment of NotDirectory in 222222222222 to user dave deleted by user:alice via sso-admin at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(
        out,
        line(`user gina created by user:alice via identitystore at ${WHEN} \\(kept; --prune deletes it\\)`),
      );
      assert.match(
        out,
        line(
          `account 222222222222 moved \\(/Workloads → /\\) by user:alice via organizations at ${WHEN} \\(apply sets it back to the file\\)`,
        ),
      );
      assert.match(out, /Changed outside the file since the last apply \(6 changes, from the audit log\):/);

      // apply sets the file's state back; then the dry run is clean again but for the kept user.
      const applied = await idcenter(['apply', '-f', file, ...db]);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /^Applied: 2 created, 3 updated, 0 deleted/m);
      const store = server.deps.ctx.store.db;
      const bob = await store
        .selectFrom('users')
        .select('display_name')
        .where('user_name', '=', 'bob')
        .executeTakeFirstOrThrow();
      assert.equal(bob.display_name, 'Bob');
      const dev = await store
        .selectFrom('permission_sets')
        .select('session_duration')
        .where('name', '=', 'Developer')
        .executeTakeFirstOrThrow();
      assert.equal(dev.session_duration, 'PT1H');
      const carolInDevelopers = await store
        .selectFrom('group_memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .innerJoin('groups as g', 'g.id', 'm.group_id')
        .select('m.id')
        .where('u.user_name', '=', 'carol')
        .where('g.display_name', '=', 'Developers')
        .execute();
      assert.equal(carolInDevelopers.length, 1);
      const daveAssignments = await store
        .selectFrom('account_assignments as a')
        .innerJoin('users as u', 'u.id', 'a.principal_id')
        .innerJoin('permission_sets as p', 'p.id', 'a.permission_set_id')
        .select('a.id')
        .where('u.user_name', '=', 'dave')
        .where('p.name', '=', 'NotDirectory')
        .execute();
      assert.equal(daveAssignments.length, 1);

      const after = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(after.stdout, /^No changes\.\n/);
      assert.doesNotMatch(after.stdout, /changed outside the file/);
      assert.match(after.stdout, /--prune would delete:\n {2}- delete user gina\n/);
    });

    it('names a status set by hand that the file does not pin, and keeps it', async () => {
      const off = await idcenter(['user', 'disable', 'frank', ...db]);
      assert.equal(off.code, 0, off.stderr);
      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(dry.stdout, /^No changes\.\n/);
      assert.match(
        dry.stdout,
        new RegExp(
          `^! changed outside the file: user frank disabled by cli:user at ${WHEN} \\(kept; the file does not set it\\)$`,
          'm',
        ),
      );
    });
  });
}

/** What boto3 sees of bob and of the group Developers, as JSON. */
const BOTO3_READ = `${BOTO3_ADMIN_CLIENTS}from botocore.exceptions import ClientError
def by_external_id(kind, issuer, id):
    try:
        if kind == 'user':
            return ids.get_user_id(IdentityStoreId=store, AlternateIdentifier={'ExternalId': {'Issuer': issuer, 'Id': id}})['UserId']
        return ids.get_group_id(IdentityStoreId=store, AlternateIdentifier={'ExternalId': {'Issuer': issuer, 'Id': id}})['GroupId']
    except ClientError as e:
        return e.response['Error']['Code']
bob = ids.describe_user(IdentityStoreId=store, UserId=user_id('bob'))
for k in ['ResponseMetadata', 'CreatedAt', 'UpdatedAt', 'CreatedBy', 'UpdatedBy', 'IdentityStoreId', 'UserStatus']:
    bob.pop(k, None)
dev = ids.get_group_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'displayName', 'AttributeValue': 'Developers'}})['GroupId']
print(json.dumps({'bob': bob, 'bobId': user_id('bob'), 'dev': dev,
    'groupExternalIds': ids.describe_group(IdentityStoreId=store, GroupId=dev).get('ExternalIds'),
    'byUserExternalId': {i: by_external_id('user', 'https://scim.example.com', i) for i in ['u-bob', 'u-bob-2']},
    'byGroupExternalId': {i: by_external_id('group', 'https://scim.example.com', i) for i in ['g-dev', 'g-dev-2']}}))
`;

/** An administrator gives bob identitystore attributes and an external id, and Developers one. */
const BOTO3_ATTRIBUTES = `${BOTO3_ADMIN_CLIENTS}dev = ids.get_group_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'displayName', 'AttributeValue': 'Developers'}})['GroupId']
ids.update_user(IdentityStoreId=store, UserId=user_id('bob'), Operations=[
    {'AttributePath': 'title', 'AttributeValue': 'Engineer'},
    {'AttributePath': 'name.middleName', 'AttributeValue': 'J.'},
    {'AttributePath': 'emails', 'AttributeValue': [{'Value': 'bob@example.com', 'Type': 'work', 'Primary': True}]},
    {'AttributePath': 'phoneNumbers', 'AttributeValue': [{'Value': '+1 555 0101', 'Type': 'work', 'Primary': True}]},
    {'AttributePath': 'addresses', 'AttributeValue': [{'Locality': 'Springfield', 'Country': 'US'}]},
    {'AttributePath': 'externalIds', 'AttributeValue': [{'Issuer': 'https://scim.example.com', 'Id': 'u-bob'}]}])
ids.update_group(IdentityStoreId=store, GroupId=dev, Operations=[
    {'AttributePath': 'externalIds', 'AttributeValue': [{'Issuer': 'https://scim.example.com', 'Id': 'g-dev'}]}])
`;

interface Seen {
  bob: Record<string, unknown>;
  bobId: string;
  dev: string;
  groupExternalIds: unknown;
  byUserExternalId: Record<string, string>;
  byGroupExternalId: Record<string, string>;
}

for (const kind of STORE_KINDS) {
  describe(`identitystore attributes and external ids through the file (${kind})`, () => {
    let server: TestServer;
    let dir: string;
    let db: string[];
    const read = async () => JSON.parse(await changeAsAdministrator(server, BOTO3_READ)) as Seen;
    before(async () => {
      server = await startAdminServer(kind);
      dir = fs.mkdtempSync(path.join(server.config.dataDir, 'attributes-'));
      db = ['--database-url', server.config.databaseUrl];
    });
    after(async () => server?.stop());

    it('exports what the API set, applies the changed file, refuses bad values, and sets back drift', async () => {
      await changeAsAdministrator(server, BOTO3_ATTRIBUTES);
      const file = path.join(dir, 'org.yaml');
      const exported = await idcenter(['export', '--output', file, ...db]);
      assert.equal(exported.code, 0, exported.stderr);
      const text = fs.readFileSync(file, 'utf8');
      assert.match(
        text,
        /- userName: bob\n {4}displayName: Bob\n {4}givenName: Bob\n {4}familyName: Roe\n {4}middleName: J\.\n {4}title: Engineer\n {4}emails:\n {6}- value: bob@example\.com\n {8}type: work\n {8}primary: true\n {4}addresses:\n {6}- locality: Springfield\n {8}country: US\n {4}phoneNumbers:\n {6}- value: "\+1 555 0101"\n {8}type: work\n {8}primary: true\n {4}externalIds:\n {6}- issuer: https:\/\/scim\.example\.com\n {8}id: u-bob\n/,
      );
      assert.match(
        text,
        /- \{ name: Developers, externalIds: \[\{ issuer: https:\/\/scim\.example\.com, id: g-dev \}\] \}/,
      );
      const clean = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /^No changes\.\n/);

      // The file changes them: a new title and phone number, no address, another external id
      // for bob and for Developers.
      const changed = text
        .replace('title: Engineer', 'title: Lead')
        .replace('value: "+1 555 0101"', 'value: "+1 555 0199"')
        .replace(/\n {4}addresses:\n {6}- locality: Springfield\n {8}country: US/, '')
        .replace('id: u-bob\n', 'id: u-bob-2\n')
        .replace('id: g-dev }', 'id: g-dev-2 }');
      fs.writeFileSync(file, changed);
      const dry = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^~ update group Developers \(externalIds "g-dev \(https:\/\/scim\.example\.com\)" → "g-dev-2 \(https:\/\/scim\.example\.com\)"\)$/m,
      );
      assert.match(
        dry.stdout,
        /^~ update user bob \(title Engineer → Lead, addresses "Springfield, US" → "\(none\)", phoneNumbers "\+1 555 0101 \(work, primary\)" → "\+1 555 0199 \(work, primary\)", externalIds "u-bob \(https:\/\/scim\.example\.com\)" → "u-bob-2 \(https:\/\/scim\.example\.com\)"\)$/m,
      );
      const applied = await idcenter(['apply', '-f', file, ...db]);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /^Applied: 0 created, 2 updated, 0 deleted/m);

      const seen = await read();
      assert.equal(seen.bob.Title, 'Lead');
      assert.deepEqual(seen.bob.PhoneNumbers, [{ Value: '+1 555 0199', Type: 'work', Primary: true }]);
      assert.equal(seen.bob.Addresses, undefined);
      assert.deepEqual(seen.bob.Name, { GivenName: 'Bob', FamilyName: 'Roe', MiddleName: 'J.' });
      assert.deepEqual(seen.bob.Emails, [{ Value: 'bob@example.com', Type: 'work', Primary: true }]);
      assert.deepEqual(seen.bob.ExternalIds, [{ Issuer: 'https://scim.example.com', Id: 'u-bob-2' }]);
      assert.deepEqual(seen.byUserExternalId, {
        'u-bob': 'ResourceNotFoundException',
        'u-bob-2': seen.bobId,
      });
      assert.deepEqual(seen.groupExternalIds, [{ Issuer: 'https://scim.example.com', Id: 'g-dev-2' }]);
      assert.deepEqual(seen.byGroupExternalId, { 'g-dev': 'ResourceNotFoundException', 'g-dev-2': seen.dev });
      // Each change is audited as the apply's, with what it was and what it became.
      const audit = await server.deps.ctx.store.db
        .selectFrom('audit_events')
        .select(['actor', 'detail'])
        .where('action', '=', 'user.update')
        .where('target_id', '=', seen.bobId)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, 'cli:apply');
      const changes = (JSON.parse(audit.detail ?? '{}') as { changes: Array<{ field: string }> }).changes;
      assert.deepEqual(
        changes.map((c) => c.field),
        ['title', 'addresses', 'phoneNumbers', 'externalIds'],
      );

      // Values the identitystore refuses are refused with their path, and nothing changes.
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(
        bad,
        changed
          .replace('title: Lead', `title: ${'x'.repeat(1025)}`)
          .replace('id: u-bob-2\n', 'id: u bob\n')
          .replace(
            /(\n {4}phoneNumbers:\n {6}- value: "\+1 555 0199"\n {8}type: work\n {8}primary: true)/,
            '$1\n      - value: "+1 555 0200"',
          ),
      );
      const refused = await idcenter(['apply', '-f', bad, ...db]);
      assert.equal(refused.code, 253);
      assert.match(
        refused.stderr,
        /users\[1\]\.title \(line \d+\): title must be at most 1024 characters \(got 1025\)/,
      );
      assert.match(
        refused.stderr,
        /users\[1\]\.phoneNumbers \(line \d+\): the identitystore keeps one phone number per user/,
      );
      assert.match(
        refused.stderr,
        /users\[1\]\.externalIds\[0\]\.id \(line \d+\): id may contain only letters, marks, symbols, digits and punctuation \(no spaces\)/,
      );
      assert.deepEqual(await read(), seen);

      // Drift: a change through the API is named, with who made it, and apply sets it back.
      await changeAsAdministrator(
        server,
        `${BOTO3_ADMIN_CLIENTS}ids.update_user(IdentityStoreId=store, UserId=user_id('bob'), Operations=[
    {'AttributePath': 'title', 'AttributeValue': 'Boss'}, {'AttributePath': 'nickName', 'AttributeValue': 'Bobby'}])
`,
      );
      const drift = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(drift.stdout, /^~ update user bob \(nickName Bobby → "\(none\)", title Boss → Lead\)$/m);
      assert.match(
        drift.stdout,
        new RegExp(
          `^! changed outside the file: user bob updated \\(Title, NickName\\) by user:alice via identitystore at ${WHEN} \\(apply sets it back to the file\\)$`,
          'm',
        ),
      );
      const repaired = await idcenter(['apply', '-f', file, ...db]);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.deepEqual(await read(), seen);
      const again = await idcenter(['apply', '-f', file, '--dry-run', ...db]);
      assert.match(again.stdout, /^No changes\.\n/);
    });
  });
}
