/**
 * Who may call the admin APIs, judged by the JS SDK's identitystore client and boto3: role
 * credentials of an administrators' permission set, decided by its policies (AWS managed, inline
 * with an explicit deny, NotAction, an aws:PrincipalTag condition, Resource ARNs); a permission set that is not
 * the administrators' is refused whatever its policies say; unsigned and wrongly signed calls get
 * the JSON errors AWS's JSON services send, and change nothing. The sso-admin and organizations
 * JS SDK clients page through their lists. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateUserCommand,
  DeleteUserCommand,
  DescribeGroupCommand,
  DescribeUserCommand,
  GetGroupIdCommand,
  GetUserIdCommand,
  ListUsersCommand,
} from '@aws-sdk/client-identitystore';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { ListInstancesCommand, ListPermissionSetsCommand } from '@aws-sdk/client-sso-admin';
import {
  boto3,
  identityStoreClient,
  identityStoreId,
  MANAGEMENT,
  organizationsClient,
  outcome,
  roleCredentials,
  ssoAdminClient,
  startAdminServer,
  WORKLOAD,
} from '../helpers/admin.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const BOTO3_LIST_USERS = `
import json, sys, boto3, botocore.exceptions
url, key, secret, token, store = sys.argv[1:6]
c = boto3.client('identitystore', region_name='eu-west-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
try:
    users = c.list_users(IdentityStoreId=store)['Users']
    print(json.dumps({'users': sorted(u['UserName'] for u in users)}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({'error': e.response['Error']['Code'], 'message': e.response['Error']['Message']}))
`;

for (const kind of STORE_KINDS) {
  describe(`admin API authorisation (${kind})`, () => {
    let server: TestServer;
    let storeId: string;
    before(async () => {
      server = await startAdminServer(kind);
      storeId = await identityStoreId(server);
    });
    after(async () => server?.stop());

    const listUsers = async (user: string, role: string, account?: string, region?: string) => {
      const client = identityStoreClient(
        server.url,
        await roleCredentials(server, user, role, account),
        region,
      );
      try {
        return await outcome(client.send(new ListUsersCommand({ IdentityStoreId: storeId })));
      } finally {
        client.destroy();
      }
    };

    it('an administrator with AdministratorAccess lists users (JS SDK and boto3)', async () => {
      assert.equal(await listUsers('alice', 'Administrator'), 'ok');
      const c = await roleCredentials(server, 'alice', 'Administrator');
      const stdout = await boto3(server, c, BOTO3_LIST_USERS, [storeId]);
      assert.deepEqual(JSON.parse(stdout).users, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
    });

    it('a permission set that is not an administrators one is refused, AdministratorAccess or not', async () => {
      const client = identityStoreClient(
        server.url,
        await roleCredentials(server, 'carol', 'Developer', WORKLOAD),
      );
      try {
        const err = await client
          .send(new ListUsersCommand({ IdentityStoreId: storeId }))
          .catch((e: Error) => e);
        assert.equal((err as Error).name, 'AccessDeniedException');
        assert.match((err as Error).message, /not authorized to perform: identitystore:ListUsers/);
      } finally {
        client.destroy();
      }
    });

    it('a read-only administrator reads and may not write, the denial naming the action', async () => {
      const client = identityStoreClient(server.url, await roleCredentials(server, 'bob', 'AdminReadOnly'));
      try {
        assert.equal(await outcome(client.send(new ListUsersCommand({ IdentityStoreId: storeId }))), 'ok');
        const err = (await client
          .send(
            new CreateUserCommand({
              IdentityStoreId: storeId,
              UserName: 'mallory',
              DisplayName: 'Mallory',
              Name: { GivenName: 'M', FamilyName: 'X' },
            }),
          )
          .catch((e: Error) => e)) as Error;
        assert.equal(err.name, 'AccessDeniedException');
        assert.match(
          err.message,
          /^User: arn:aws:sts::111111111111:assumed-role\/AWSReservedSSO_AdminReadOnly_[0-9a-f]{16}\/bob is not authorized to perform: identitystore:CreateUser on resource: arn:aws:identitystore::111111111111:identitystore\/d-[0-9a-f]{10} because no identity-based policy allows the identitystore:CreateUser action$/,
        );
        const mallory = await server.deps.ctx.store.db
          .selectFrom('users')
          .select('id')
          .where('user_name_lower', '=', 'mallory')
          .executeTakeFirst();
        assert.equal(mallory, undefined);
      } finally {
        client.destroy();
      }
    });

    it('an explicit deny wins over Allow *', async () => {
      const client = identityStoreClient(server.url, await roleCredentials(server, 'dave', 'NoDeletes'));
      try {
        const created = await client.send(
          new CreateUserCommand({
            IdentityStoreId: storeId,
            UserName: 'temp-user',
            DisplayName: 'Temp',
            Name: { GivenName: 'T', FamilyName: 'U' },
          }),
        );
        const err = (await client
          .send(new DeleteUserCommand({ IdentityStoreId: storeId, UserId: created.UserId }))
          .catch((e: Error) => e)) as Error;
        assert.equal(err.name, 'AccessDeniedException');
        assert.match(
          err.message,
          /identitystore:DeleteUser .*with an explicit deny in an identity-based policy$/,
        );
        const denied = await server.deps.ctx.store.db
          .selectFrom('audit_events')
          .select(['actor', 'target_id'])
          .where('action', '=', 'admin.access_denied')
          .execute();
        assert.ok(
          denied.some((d) => d.target_id === 'identitystore:DeleteUser' && d.actor.startsWith('user:')),
        );
      } finally {
        client.destroy();
      }
    });

    it('NotAction allows everything but what it names', async () => {
      assert.equal(await listUsers('dave', 'NotDirectory', WORKLOAD), 'AccessDeniedException');
    });

    it('aws:PrincipalTag from the session tags decides', async () => {
      assert.equal(await listUsers('erin', 'TeamBlue'), 'ok');
      assert.equal(await listUsers('frank', 'TeamBlue'), 'AccessDeniedException');
    });

    it('aws:RequestedRegion is the region the call is signed for', async () => {
      assert.equal(await listUsers('erin', 'EuWestOnly', WORKLOAD, 'eu-west-1'), 'ok');
      assert.equal(await listUsers('erin', 'EuWestOnly', WORKLOAD, 'us-east-1'), 'AccessDeniedException');
    });

    it('a permission set scoped by resource ARN reads groups and not users', async () => {
      const admin = identityStoreClient(server.url, await roleCredentials(server, 'alice', 'Administrator'));
      const reader = identityStoreClient(
        server.url,
        await roleCredentials(server, 'dave', 'GroupReader', WORKLOAD),
      );
      try {
        const by = (AttributePath: string, AttributeValue: string) => ({
          IdentityStoreId: storeId,
          AlternateIdentifier: { UniqueAttribute: { AttributePath, AttributeValue } },
        });
        const { GroupId } = await admin.send(new GetGroupIdCommand(by('displayName', 'Developers')));
        const { UserId } = await admin.send(new GetUserIdCommand(by('userName', 'carol')));
        assert.equal(
          await outcome(reader.send(new DescribeGroupCommand({ IdentityStoreId: storeId, GroupId }))),
          'ok',
        );
        const err = (await reader
          .send(new DescribeUserCommand({ IdentityStoreId: storeId, UserId }))
          .catch((e: Error) => e)) as Error;
        assert.equal(err.name, 'AccessDeniedException');
        assert.match(
          err.message,
          new RegExp(`identitystore:DescribeUser on resource: arn:aws:identitystore:::user/${UserId}`),
        );
      } finally {
        admin.destroy();
        reader.destroy();
      }
    });

    it('the JS SDK clients of sso-admin and organizations page through their lists', async () => {
      const c = await roleCredentials(server, 'bob', 'AdminReadOnly');
      const sso = ssoAdminClient(server.url, c);
      const orgs = organizationsClient(server.url, c);
      try {
        const { Instances } = await sso.send(new ListInstancesCommand({}));
        const InstanceArn = Instances?.[0]?.InstanceArn;
        const names: string[] = [];
        let NextToken: string | undefined;
        do {
          const page = await sso.send(
            new ListPermissionSetsCommand({ InstanceArn, MaxResults: 2, NextToken }),
          );
          names.push(...(page.PermissionSets ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
        assert.equal(names.length, 8);
        const accounts: string[] = [];
        let token: string | undefined;
        do {
          const page = await orgs.send(new ListAccountsCommand({ MaxResults: 1, NextToken: token }));
          accounts.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
          token = page.NextToken;
        } while (token);
        assert.deepEqual(accounts, [MANAGEMENT, WORKLOAD]);
      } finally {
        sso.destroy();
        orgs.destroy();
      }
    });

    it('unsigned and wrongly signed calls get the JSON errors of AWS', async () => {
      const unsigned = await fetch(server.url, {
        method: 'POST',
        headers: {
          'x-amz-target': 'AWSIdentityStore.ListUsers',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: JSON.stringify({ IdentityStoreId: storeId }),
      });
      assert.equal(unsigned.status, 403);
      assert.equal(
        ((await unsigned.json()) as { __type: string }).__type,
        'MissingAuthenticationTokenException',
      );

      const c = await roleCredentials(server, 'alice', 'Administrator');
      const wrong = identityStoreClient(server.url, {
        ...c,
        secretAccessKey: `${c.secretAccessKey.slice(0, -1)}x`,
      });
      const forged = identityStoreClient(server.url, {
        ...c,
        sessionToken: `${c.sessionToken.slice(0, -2)}AA`,
      });
      try {
        assert.equal(
          await outcome(wrong.send(new ListUsersCommand({ IdentityStoreId: storeId }))),
          'InvalidSignatureException',
        );
        assert.equal(
          await outcome(forged.send(new ListUsersCommand({ IdentityStoreId: storeId }))),
          'UnrecognizedClientException',
        );
      } finally {
        wrong.destroy();
        forged.destroy();
      }
    });
  });
}
