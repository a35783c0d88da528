/**
 * sso-admin end to end, judged by boto3 (permission sets with their policies, boundary and tags,
 * `aws:` tag keys refused; account assignments with their status operations; provisioning) and
 * the AWS CLI v1, on SQLite and PostgreSQL. Deleting an assignment stops the role credentials it gave.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  boto3,
  instanceArn,
  MANAGEMENT,
  roleCredentials,
  startAdminServer,
  WORKLOAD,
} from '../helpers/admin.ts';
import { cleanAwsEnv, run, tempHome } from '../helpers/python.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { whoAmI } from '../helpers/sts.ts';

const BOTO3_TOUR = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, inst, mgmt, wl, alice, devs = sys.argv[1:10]
c = boto3.client('sso-admin', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
out = {}
def err(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
out['instances'] = [i['InstanceArn'] for i in c.list_instances()['Instances']]
out['describedInstance'] = c.describe_instance(InstanceArn=inst)['Status']
ps = c.create_permission_set(InstanceArn=inst, Name='Auditors', Description='Read the logs', SessionDuration='PT2H',
    RelayState='https://console.aws.amazon.com/cloudtrail', Tags=[{'Key': 'team', 'Value': 'sec'}])['PermissionSet']
arn = ps['PermissionSetArn']
out['created'] = {k: ps[k] for k in ['Name', 'Description', 'SessionDuration', 'RelayState']}
out['duplicate'] = err(lambda: c.create_permission_set(InstanceArn=inst, Name='auditors'))
out['badDuration'] = err(lambda: c.create_permission_set(InstanceArn=inst, Name='TooLong', SessionDuration='PT13H'))
out['badName'] = err(lambda: c.create_permission_set(InstanceArn=inst, Name='has space'))
c.update_permission_set(InstanceArn=inst, PermissionSetArn=arn, SessionDuration='PT4H')
out['updated'] = c.describe_permission_set(InstanceArn=inst, PermissionSetArn=arn)['PermissionSet']['SessionDuration']
out['listed'] = arn in c.list_permission_sets(InstanceArn=inst)['PermissionSets']
ro = 'arn:aws:iam::aws:policy/ReadOnlyAccess'
c.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, ManagedPolicyArn=ro)
out['attachTwice'] = err(lambda: c.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, ManagedPolicyArn=ro))
out['managed'] = c.list_managed_policies_in_permission_set(InstanceArn=inst, PermissionSetArn=arn)['AttachedManagedPolicies']
policy = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'cloudtrail:LookupEvents', 'Resource': '*'}]})
c.put_inline_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, InlinePolicy=policy)
out['inline'] = json.loads(c.get_inline_policy_for_permission_set(InstanceArn=inst, PermissionSetArn=arn)['InlinePolicy'])['Statement'][0]['Action']
out['badInline'] = err(lambda: c.put_inline_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, InlinePolicy='{"Statement": 7}'))
c.attach_customer_managed_policy_reference_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, CustomerManagedPolicyReference={'Name': 'LogReader', 'Path': '/sec/'})
out['customer'] = c.list_customer_managed_policy_references_in_permission_set(InstanceArn=inst, PermissionSetArn=arn)['CustomerManagedPolicyReferences']
c.detach_customer_managed_policy_reference_from_permission_set(InstanceArn=inst, PermissionSetArn=arn, CustomerManagedPolicyReference={'Name': 'LogReader', 'Path': '/sec/'})
c.put_permissions_boundary_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, PermissionsBoundary={'ManagedPolicyArn': ro})
out['boundary'] = c.get_permissions_boundary_for_permission_set(InstanceArn=inst, PermissionSetArn=arn)['PermissionsBoundary']
c.delete_permissions_boundary_from_permission_set(InstanceArn=inst, PermissionSetArn=arn)
out['boundaryGone'] = err(lambda: c.get_permissions_boundary_for_permission_set(InstanceArn=inst, PermissionSetArn=arn))
c.tag_resource(InstanceArn=inst, ResourceArn=arn, Tags=[{'Key': 'env', 'Value': 'prod'}])
c.untag_resource(InstanceArn=inst, ResourceArn=arn, TagKeys=['team'])
out['reservedTag'] = err(lambda: c.tag_resource(InstanceArn=inst, ResourceArn=arn, Tags=[{'Key': 'aws:owner', 'Value': 'x'}]))
out['reservedOnCreate'] = err(lambda: c.create_permission_set(InstanceArn=inst, Name='Reserved', Tags=[{'Key': 'AWS:cost', 'Value': '1'}]))
out['untagReserved'] = err(lambda: c.untag_resource(InstanceArn=inst, ResourceArn=arn, TagKeys=['aws:owner']))
out['tags'] = c.list_tags_for_resource(InstanceArn=inst, ResourceArn=arn)['Tags']

a = dict(InstanceArn=inst, TargetId=wl, TargetType='AWS_ACCOUNT', PermissionSetArn=arn, PrincipalType='USER', PrincipalId=alice)
s = c.create_account_assignment(**a)['AccountAssignmentCreationStatus']
out['createStatus'] = c.describe_account_assignment_creation_status(InstanceArn=inst, AccountAssignmentCreationRequestId=s['RequestId'])['AccountAssignmentCreationStatus']['Status']
out['creations'] = len(c.list_account_assignment_creation_status(InstanceArn=inst)['AccountAssignmentsCreationStatus'])
out['assignments'] = c.list_account_assignments(InstanceArn=inst, AccountId=wl, PermissionSetArn=arn)['AccountAssignments'] == [{'AccountId': wl, 'PermissionSetArn': arn, 'PrincipalType': 'USER', 'PrincipalId': alice}]
out['forPrincipal'] = sorted(x['AccountId'] for x in c.list_account_assignments_for_principal(InstanceArn=inst, PrincipalId=alice, PrincipalType='USER')['AccountAssignments'])
out['provisionedAccounts'] = c.list_accounts_for_provisioned_permission_set(InstanceArn=inst, PermissionSetArn=arn)['AccountIds']
out['provisionedToAccount'] = arn in c.list_permission_sets_provisioned_to_account(InstanceArn=inst, AccountId=wl)['PermissionSets']
c.update_permission_set(InstanceArn=inst, PermissionSetArn=arn, Description='Read the trails')
out['behind'] = c.list_accounts_for_provisioned_permission_set(InstanceArn=inst, PermissionSetArn=arn, ProvisioningStatus='LATEST_PERMISSION_SET_NOT_PROVISIONED')['AccountIds']
p = c.provision_permission_set(InstanceArn=inst, PermissionSetArn=arn, TargetType='ALL_PROVISIONED_ACCOUNTS')['PermissionSetProvisioningStatus']
out['provision'] = c.describe_permission_set_provisioning_status(InstanceArn=inst, ProvisionPermissionSetRequestId=p['RequestId'])['PermissionSetProvisioningStatus']['Status']
out['behindAfter'] = c.list_accounts_for_provisioned_permission_set(InstanceArn=inst, PermissionSetArn=arn, ProvisioningStatus='LATEST_PERMISSION_SET_NOT_PROVISIONED')['AccountIds']
out['deleteProvisioned'] = err(lambda: c.delete_permission_set(InstanceArn=inst, PermissionSetArn=arn))
nobody = dict(a, PrincipalId='0123456789-00000000-0000-0000-0000-000000000000')
f = c.create_account_assignment(**nobody)['AccountAssignmentCreationStatus']
out['noPrincipal'] = [f['Status'], 'FailureReason' in f]
f = c.create_account_assignment(**dict(a, TargetId='999999999999'))['AccountAssignmentCreationStatus']
out['noAccount'] = f['Status']
out['noPermissionSet'] = err(lambda: c.create_account_assignment(**dict(a, PermissionSetArn=arn[:-16] + '0000000000000000')))
d = c.delete_account_assignment(**a)['AccountAssignmentDeletionStatus']
out['deleteStatus'] = c.describe_account_assignment_deletion_status(InstanceArn=inst, AccountAssignmentDeletionRequestId=d['RequestId'])['AccountAssignmentDeletionStatus']['Status']
out['provisionedAfterDelete'] = c.list_accounts_for_provisioned_permission_set(InstanceArn=inst, PermissionSetArn=arn)['AccountIds']
c.delete_permission_set(InstanceArn=inst, PermissionSetArn=arn)
out['psGone'] = err(lambda: c.describe_permission_set(InstanceArn=inst, PermissionSetArn=arn))
out['wrongInstance'] = err(lambda: c.list_permission_sets(InstanceArn='arn:aws:sso:::instance/ssoins-0000000000000000'))
print(json.dumps(out))
`;

for (const kind of STORE_KINDS) {
  describe(`sso-admin (${kind})`, () => {
    let server: TestServer;
    let instance: string;
    const idOf = async (table: 'users' | 'groups', name: string) =>
      table === 'users'
        ? (
            await server.deps.ctx.store.db
              .selectFrom('users')
              .select('id')
              .where('user_name_lower', '=', name)
              .executeTakeFirstOrThrow()
          ).id
        : (
            await server.deps.ctx.store.db
              .selectFrom('groups')
              .select('id')
              .where('display_name_lower', '=', name)
              .executeTakeFirstOrThrow()
          ).id;
    before(async () => {
      server = await startAdminServer(kind);
      instance = await instanceArn(server);
    });
    after(async () => server?.stop());

    it('boto3 drives permission sets, assignments and provisioning', async () => {
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const out = JSON.parse(
        await boto3(server, c, BOTO3_TOUR, [
          instance,
          MANAGEMENT,
          WORKLOAD,
          await idOf('users', 'alice'),
          await idOf('groups', 'developers'),
        ]),
      );
      assert.deepEqual(out.instances, [instance]);
      assert.equal(out.describedInstance, 'ACTIVE');
      assert.deepEqual(out.created, {
        Name: 'Auditors',
        Description: 'Read the logs',
        SessionDuration: 'PT2H',
        RelayState: 'https://console.aws.amazon.com/cloudtrail',
      });
      assert.equal(out.duplicate, 'ConflictException');
      assert.equal(out.badDuration, 'ValidationException');
      assert.equal(out.badName, 'ValidationException');
      assert.equal(out.updated, 'PT4H');
      assert.equal(out.listed, true);
      assert.equal(out.attachTwice, 'ConflictException');
      assert.deepEqual(out.managed, [
        { Name: 'ReadOnlyAccess', Arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ]);
      assert.equal(out.inline, 'cloudtrail:LookupEvents');
      assert.equal(out.badInline, 'ValidationException');
      assert.deepEqual(out.customer, [{ Name: 'LogReader', Path: '/sec/' }]);
      assert.deepEqual(out.boundary, { ManagedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
      assert.equal(out.boundaryGone, 'ResourceNotFoundException');
      assert.deepEqual(out.tags, [{ Key: 'env', Value: 'prod' }]);
      // aws: keys are reserved, as in the organization file and the console; one may be removed.
      assert.equal(out.reservedTag, 'ValidationException');
      assert.equal(out.reservedOnCreate, 'ValidationException');
      assert.equal(out.untagReserved, 'ok');
      assert.equal(out.createStatus, 'SUCCEEDED');
      assert.ok(out.creations >= 1);
      assert.equal(out.assignments, true);
      assert.deepEqual(out.forPrincipal, [MANAGEMENT, WORKLOAD]);
      assert.deepEqual(out.provisionedAccounts, [WORKLOAD]);
      assert.equal(out.provisionedToAccount, true);
      assert.deepEqual(out.behind, [WORKLOAD]);
      assert.equal(out.provision, 'SUCCEEDED');
      assert.deepEqual(out.behindAfter, []);
      assert.equal(out.deleteProvisioned, 'ConflictException');
      assert.deepEqual(out.noPrincipal, ['FAILED', true]);
      assert.equal(out.noAccount, 'FAILED');
      assert.equal(out.noPermissionSet, 'ResourceNotFoundException');
      assert.equal(out.deleteStatus, 'SUCCEEDED');
      assert.deepEqual(out.provisionedAfterDelete, []);
      assert.equal(out.psGone, 'ResourceNotFoundException');
      assert.equal(out.wrongInstance, 'ResourceNotFoundException');
    });

    it('deleting an assignment stops the role credentials it gave; the AWS CLI lists instances', async () => {
      const carol = await roleCredentials(server, 'carol', 'Developer', WORKLOAD);
      assert.equal(await whoAmI(server.url, carol), WORKLOAD);
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const developer = (
        await server.deps.ctx.store.db
          .selectFrom('permission_sets')
          .select('id')
          .where('name_lower', '=', 'developer')
          .executeTakeFirstOrThrow()
      ).id;
      const { home, cleanup } = tempHome();
      const env = cleanAwsEnv(home, {
        AWS_ACCESS_KEY_ID: c.accessKeyId,
        AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
        AWS_SESSION_TOKEN: c.sessionToken,
        AWS_DEFAULT_REGION: 'us-east-1',
      });
      try {
        const listed = await run('aws', ['sso-admin', 'list-instances', '--endpoint-url', server.url], {
          env,
        });
        assert.equal(listed.code, 0, listed.stderr);
        assert.equal(JSON.parse(listed.stdout).Instances[0].InstanceArn, instance);
        const deleted = await run(
          'aws',
          [
            'sso-admin',
            'delete-account-assignment',
            '--endpoint-url',
            server.url,
            '--instance-arn',
            instance,
            '--target-id',
            WORKLOAD,
            '--target-type',
            'AWS_ACCOUNT',
            '--permission-set-arn',
            `${instance.replace(':instance/', ':permissionSet/')}/${developer}`,
            '--principal-type',
            'GROUP',
            '--principal-id',
            await idOf('groups', 'developers'),
          ],
          { env },
        );
        assert.equal(deleted.code, 0, deleted.stderr);
        assert.equal(JSON.parse(deleted.stdout).AccountAssignmentDeletionStatus.Status, 'SUCCEEDED');
      } finally {
        cleanup();
      }
      assert.notEqual(await whoAmI(server.url, carol), WORKLOAD);
    });
  });
}
