/**
 * organizations end to end, judged by boto3, on SQLite and PostgreSQL: the organization file's
 * root, OUs and accounts as the API shows them; OUs created, renamed (with the paths under them),
 * deleted only when empty; accounts moved and registered; the model's own exceptions; a
 * read-only administrator reads and may not write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boto3, MANAGEMENT, roleCredentials, startAdminServer, WORKLOAD } from '../helpers/admin.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const BOTO3_TOUR = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, rokey, rosecret, rotoken = sys.argv[1:8]
def client(k, s, t):
    return boto3.client('organizations', region_name='us-east-1', endpoint_url=url, aws_access_key_id=k,
                        aws_secret_access_key=s, aws_session_token=t)
c = client(key, secret, token)
ro = client(rokey, rosecret, rotoken)
out = {}
def err(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
org = c.describe_organization()['Organization']
out['org'] = [org['MasterAccountId'], org['MasterAccountEmail'], org['FeatureSet']]
root = c.list_roots()['Roots'][0]['Id']
out['accounts'] = sorted(a['Id'] for a in c.list_accounts()['Accounts'])
out['paged'] = sorted(a['Id'] for p in c.get_paginator('list_accounts').paginate(PaginationConfig={'PageSize': 1}) for a in p['Accounts'])
out['described'] = c.describe_account(AccountId='${WORKLOAD}')['Account']['Name']
out['noAccount'] = err(lambda: c.describe_account(AccountId='999999999999'))
ous = c.list_organizational_units_for_parent(ParentId=root)['OrganizationalUnits']
out['ous'] = [o['Name'] for o in ous]
workloads = ous[0]['Id']
out['inWorkloads'] = [a['Id'] for a in c.list_accounts_for_parent(ParentId=workloads)['Accounts']]
out['children'] = [x['Id'] for x in c.list_children(ParentId=root, ChildType='ACCOUNT')['Children']]
out['parents'] = c.list_parents(ChildId='${WORKLOAD}')['Parents'] == [{'Id': workloads, 'Type': 'ORGANIZATIONAL_UNIT'}]
prod = c.create_organizational_unit(ParentId=workloads, Name='Prod')['OrganizationalUnit']['Id']
out['duplicateOu'] = err(lambda: c.create_organizational_unit(ParentId=workloads, Name='Prod'))
out['noParent'] = err(lambda: c.create_organizational_unit(ParentId='ou-zzzz-zzzzzzzz', Name='X'))
c.move_account(AccountId='${WORKLOAD}', SourceParentId=workloads, DestinationParentId=prod)
out['wrongSource'] = err(lambda: c.move_account(AccountId='${WORKLOAD}', SourceParentId=workloads, DestinationParentId=root))
out['notEmpty'] = err(lambda: c.delete_organizational_unit(OrganizationalUnitId=prod))
c.update_organizational_unit(OrganizationalUnitId=workloads, Name='Apps')
out['renamed'] = c.describe_organizational_unit(OrganizationalUnitId=workloads)['OrganizationalUnit']['Name']
s = c.create_account(Email='new@example.com', AccountName='Sandbox')['CreateAccountStatus']
out['created'] = [s['State'], len(s['AccountId'])]
out['createdStatus'] = c.describe_create_account_status(CreateAccountRequestId=s['Id'])['CreateAccountStatus']['AccountId'] == s['AccountId']
f = c.create_account(Email='new@example.com', AccountName='Again')['CreateAccountStatus']
out['duplicateEmail'] = [f['State'], f['FailureReason']]
out['statuses'] = sorted(x['State'] for x in c.list_create_account_status()['CreateAccountStatuses'])
out['noStatus'] = err(lambda: c.describe_create_account_status(CreateAccountRequestId='car-00000000000000000000000000000000'))
out['badToken'] = err(lambda: c.list_accounts(NextToken='forged'))
out['readOnlyReads'] = err(lambda: ro.list_accounts())
out['readOnlyWrites'] = err(lambda: ro.create_organizational_unit(ParentId=root, Name='Nope'))
c.move_account(AccountId='${WORKLOAD}', SourceParentId=prod, DestinationParentId=root)
c.delete_organizational_unit(OrganizationalUnitId=prod)
out['deleted'] = err(lambda: c.describe_organizational_unit(OrganizationalUnitId=prod))
print(json.dumps(out))
`;

for (const kind of STORE_KINDS) {
  describe(`organizations (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startAdminServer(kind);
    });
    after(async () => server?.stop());

    it('boto3 reads and changes the structure, with the model exceptions', async () => {
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const ro = await roleCredentials(server, 'bob', 'AdminReadOnly');
      const out = JSON.parse(
        await boto3(server, c, BOTO3_TOUR, [ro.accessKeyId, ro.secretAccessKey, ro.sessionToken]),
      );
      assert.deepEqual(out.org, [MANAGEMENT, 'mgmt@example.com', 'ALL']);
      assert.deepEqual(out.accounts, [MANAGEMENT, WORKLOAD]);
      assert.deepEqual(out.paged, [MANAGEMENT, WORKLOAD]);
      assert.equal(out.described, 'Workload');
      assert.equal(out.noAccount, 'AccountNotFoundException');
      assert.deepEqual(out.ous, ['Workloads']);
      assert.deepEqual(out.inWorkloads, [WORKLOAD]);
      assert.deepEqual(out.children, [MANAGEMENT]);
      assert.equal(out.parents, true);
      assert.equal(out.duplicateOu, 'DuplicateOrganizationalUnitException');
      assert.equal(out.noParent, 'ParentNotFoundException');
      assert.equal(out.wrongSource, 'AccountNotFoundException');
      assert.equal(out.notEmpty, 'OrganizationalUnitNotEmptyException');
      assert.equal(out.renamed, 'Apps');
      assert.deepEqual(out.created, ['SUCCEEDED', 12]);
      assert.equal(out.createdStatus, true);
      assert.deepEqual(out.duplicateEmail, ['FAILED', 'EMAIL_ALREADY_EXISTS']);
      assert.deepEqual(out.statuses, ['FAILED', 'SUCCEEDED']);
      assert.equal(out.noStatus, 'CreateAccountStatusNotFoundException');
      assert.equal(out.badToken, 'InvalidInputException');
      assert.equal(out.readOnlyReads, 'ok');
      assert.equal(out.readOnlyWrites, 'AccessDeniedException');
      assert.equal(out.deleted, 'OrganizationalUnitNotFoundException');
      const paths = await server.deps.ctx.store.db.selectFrom('ous').select('path').orderBy('path').execute();
      assert.deepEqual(
        paths.map((p) => p.path),
        ['/Apps'],
        'the rename reached the path the organization file names the OU by',
      );
    });
  });
}
