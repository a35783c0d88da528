/**
 * Paging of a permission set's lists, walked by boto3's own paginators on SQLite and PostgreSQL:
 * ListManagedPoliciesInPermissionSet and ListCustomerManagedPolicyReferencesInPermissionSet by
 * MaxResults, ListTagsForResource (no MaxResults in the model) in pages of 20; every item once,
 * in order. A NextToken is good only for the permission set it was issued for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boto3, instanceArn, roleCredentials, startAdminServer } from '../helpers/admin.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const BOTO3_PAGES = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, inst = sys.argv[1:6]
c = boto3.client('sso-admin', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
ps = c.create_permission_set(InstanceArn=inst, Name='Paged', Tags=[{'Key': 'k%02d' % i, 'Value': 'v%d' % i} for i in range(25)])['PermissionSet']['PermissionSetArn']
other = c.create_permission_set(InstanceArn=inst, Name='Other')['PermissionSet']['PermissionSetArn']
for name in ['ReadOnlyAccess', 'ViewOnlyAccess', 'SecurityAudit', 'AmazonS3ReadOnlyAccess', 'AWSSupportAccess', 'Billing', 'PowerUserAccess']:
    c.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=ps, ManagedPolicyArn='arn:aws:iam::aws:policy/' + name)
for i in range(5):
    c.attach_customer_managed_policy_reference_to_permission_set(InstanceArn=inst, PermissionSetArn=ps,
        CustomerManagedPolicyReference={'Name': 'Policy%d' % i, 'Path': '/team/' if i % 2 else '/'})
out = {}
def walk(op, member, **kw):
    pages = list(c.get_paginator(op).paginate(InstanceArn=inst, **kw))
    return {'sizes': [len(p[member]) for p in pages], 'items': [x for p in pages for x in p[member]]}
out['managed'] = walk('list_managed_policies_in_permission_set', 'AttachedManagedPolicies', PermissionSetArn=ps, PaginationConfig={'PageSize': 3})
out['customer'] = walk('list_customer_managed_policy_references_in_permission_set', 'CustomerManagedPolicyReferences', PermissionSetArn=ps, PaginationConfig={'PageSize': 2})
out['tags'] = walk('list_tags_for_resource', 'Tags', ResourceArn=ps)
first = c.list_managed_policies_in_permission_set(InstanceArn=inst, PermissionSetArn=ps, MaxResults=3)
try:
    c.list_managed_policies_in_permission_set(InstanceArn=inst, PermissionSetArn=other, MaxResults=3, NextToken=first['NextToken'])
    out['otherSet'] = 'ok'
except botocore.exceptions.ClientError as e:
    out['otherSet'] = e.response['Error']['Code']
tags = c.list_tags_for_resource(InstanceArn=inst, ResourceArn=ps)
try:
    c.list_tags_for_resource(InstanceArn=inst, ResourceArn=other, NextToken=tags['NextToken'])
    out['otherTags'] = 'ok'
except botocore.exceptions.ClientError as e:
    out['otherTags'] = e.response['Error']['Code']
print(json.dumps(out))
`;

for (const kind of STORE_KINDS) {
  describe(`sso-admin paging of a permission set's lists (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startAdminServer(kind);
    });
    after(async () => server?.stop());

    it('boto3 paginators walk managed policies, customer managed policies and tags page by page', async () => {
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const out = JSON.parse(await boto3(server, c, BOTO3_PAGES, [await instanceArn(server)]));
      assert.deepEqual(out.managed.sizes, [3, 3, 1]);
      assert.deepEqual(
        out.managed.items.map((p: { Name: string }) => p.Name),
        [
          'AWSSupportAccess',
          'AmazonS3ReadOnlyAccess',
          'Billing',
          'PowerUserAccess',
          'ReadOnlyAccess',
          'SecurityAudit',
          'ViewOnlyAccess',
        ],
      );
      assert.equal(out.managed.items[0].Arn, 'arn:aws:iam::aws:policy/AWSSupportAccess');
      assert.deepEqual(out.customer.sizes, [2, 2, 1]);
      assert.deepEqual(out.customer.items, [
        { Name: 'Policy0', Path: '/' },
        { Name: 'Policy2', Path: '/' },
        { Name: 'Policy4', Path: '/' },
        { Name: 'Policy1', Path: '/team/' },
        { Name: 'Policy3', Path: '/team/' },
      ]);
      assert.deepEqual(out.tags.sizes, [20, 5]);
      assert.deepEqual(
        out.tags.items,
        Array.from({ length: 25 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: `v${i}` })),
      );
      assert.equal(out.otherSet, 'ValidationException');
      assert.equal(out.otherTags, 'ValidationException');
    });
  });
}
