/**
 * The admin APIs under test: a server whose organization has administrators of several kinds
 * (full, read-only, a permission set with an explicit deny, one with NotAction, one scoped by
 * aws:PrincipalTag, one scoped by resource ARN, one by aws:RequestedRegion) and one person who is no administrator; role credentials for each, taken
 * through GetRoleCredentials like any role; and the JS SDK clients of the three services.
 */
import assert from 'node:assert/strict';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { applyText } from './apply.ts';
import { cleanAwsEnv, python, tempHome } from './python.ts';
import { issueBearerToken } from './seed.ts';
import { startTestServer, type TestServer } from './server.ts';
import type { StoreKind } from './stores.ts';
import { getRoleCredentials, type RoleCredentials } from './sts.ts';

export const MANAGEMENT = '111111111111';
export const WORKLOAD = '222222222222';

export const ADMIN_ORG = `
managementAccount: "${MANAGEMENT}"
accounts:
  - { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com }
  - { id: "${WORKLOAD}", name: Workload, email: wl@example.com, ou: /Workloads }
groups:
  - { name: Developers }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, email: alice@example.com }
  - { userName: bob, displayName: Bob, givenName: Bob, familyName: Roe, email: bob@example.com }
  - { userName: carol, displayName: Carol, givenName: Carol, familyName: Poe, groups: [Developers] }
  - { userName: dave, displayName: Dave, givenName: Dave, familyName: Moe }
  - { userName: erin, displayName: Erin, givenName: Erin, familyName: Noe, attributes: { team: blue } }
  - { userName: frank, displayName: Frank, givenName: Frank, familyName: Oe, attributes: { team: red } }
permissionSets:
  - { name: Administrator, managedPolicies: ["arn:aws:iam::aws:policy/AdministratorAccess"] }
  - name: AdminReadOnly
    managedPolicies:
      - arn:aws:iam::aws:policy/AWSSSOReadOnly
      - arn:aws:iam::aws:policy/AWSSSODirectoryReadOnly
      - arn:aws:iam::aws:policy/AWSOrganizationsReadOnlyAccess
  - { name: Developer, managedPolicies: ["arn:aws:iam::aws:policy/AdministratorAccess"] }
  - name: NoDeletes
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - { Effect: Allow, Action: "*", Resource: "*" }
        - { Effect: Deny, Action: ["identitystore:Delete*", "sso:Delete*"], Resource: "*" }
  - name: NotDirectory
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - { Effect: Allow, NotAction: "identitystore:*", Resource: "*" }
  - name: TeamBlue
    sessionTags: { team: team }
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: "identitystore:*"
          Resource: "*"
          Condition: { StringEquals: { "aws:PrincipalTag/team": blue } }
  - name: GroupReader
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["identitystore:DescribeGroup", "identitystore:DescribeUser"]
          Resource: ["arn:aws:identitystore::*:identitystore/*", "arn:aws:identitystore:::group/*"]
  - name: EuWestOnly
    inlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: "identitystore:List*"
          Resource: "*"
          Condition: { StringEquals: { "aws:RequestedRegion": eu-west-1 } }
administrators:
  permissionSets: [Administrator, AdminReadOnly, NoDeletes, NotDirectory, TeamBlue, GroupReader, EuWestOnly]
assignments:
  - { user: alice, permissionSet: Administrator, accounts: ["${MANAGEMENT}"] }
  - { user: bob, permissionSet: AdminReadOnly, accounts: ["${MANAGEMENT}"] }
  - { group: Developers, permissionSet: Developer, accounts: ["${WORKLOAD}"] }
  - { user: dave, permissionSet: NoDeletes, accounts: ["${MANAGEMENT}"] }
  - { user: dave, permissionSet: NotDirectory, accounts: ["${WORKLOAD}"] }
  - { user: erin, permissionSet: TeamBlue, accounts: ["${MANAGEMENT}"] }
  - { user: frank, permissionSet: TeamBlue, accounts: ["${MANAGEMENT}"] }
  - { user: dave, permissionSet: GroupReader, accounts: ["${WORKLOAD}"] }
  - { user: erin, permissionSet: EuWestOnly, accounts: ["${WORKLOAD}"] }
`;

export async function startAdminServer(store: StoreKind, org = ADMIN_ORG): Promise<TestServer> {
  return startTestServer({ store, seed: async (deps) => void (await applyText(deps.ctx, org)) });
}

/** Role credentials of `userName` for a permission set in an account, as a client gets them. */
export async function roleCredentials(
  server: TestServer,
  userName: string,
  roleName: string,
  accountId = MANAGEMENT,
): Promise<RoleCredentials> {
  const ctx = server.deps.ctx;
  const user = await ctx.store.db
    .selectFrom('users')
    .select('id')
    .where('user_name_lower', '=', userName.toLowerCase())
    .executeTakeFirstOrThrow();
  const { accessToken } = await issueBearerToken(ctx, { userId: user.id });
  return getRoleCredentials(server.url, accessToken, accountId, roleName);
}

export async function identityStoreId(server: TestServer): Promise<string> {
  const row = await server.deps.ctx.store.db
    .selectFrom('instance')
    .select('identity_store_id')
    .executeTakeFirstOrThrow();
  return row.identity_store_id;
}

export async function instanceArn(server: TestServer): Promise<string> {
  const row = await server.deps.ctx.store.db
    .selectFrom('instance')
    .select('instance_id')
    .executeTakeFirstOrThrow();
  return `arn:aws:sso:::instance/${row.instance_id}`;
}

/**
 * Runs a boto3 script with the credentials `c` in a clean AWS environment and home: its
 * arguments are the server's URL, the three parts of `c`, then `args`. Returns what it printed;
 * a script that fails fails the test with its stderr.
 */
export async function boto3(
  server: TestServer,
  c: RoleCredentials,
  script: string,
  args: string[] = [],
): Promise<string> {
  const { home, cleanup } = tempHome();
  try {
    const r = await python(
      script,
      [server.url, c.accessKeyId, c.secretAccessKey, c.sessionToken, ...args],
      cleanAwsEnv(home),
    );
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  } finally {
    cleanup();
  }
}

/**
 * The start of a script that changes the organization through identitystore and sso-admin as an
 * administrator (`changeAsAdministrator`): its clients `ids` and `sso`, the identity store
 * `store`, the instance `inst`, the workload account `wl`, and `user_id(name)`.
 */
export const BOTO3_ADMIN_CLIENTS = `
import json, sys, boto3
url, key, secret, token, store, inst, wl = sys.argv[1:8]
kw = dict(region_name='us-east-1', endpoint_url=url, aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
ids = boto3.client('identitystore', **kw)
sso = boto3.client('sso-admin', **kw)
def user_id(name):
    return ids.get_user_id(IdentityStoreId=store, AlternateIdentifier={'UniqueAttribute': {'AttributePath': 'userName', 'AttributeValue': name}})['UserId']
`;

/** Runs a script that starts with `BOTO3_ADMIN_CLIENTS` as alice, Administrator: what it printed. */
export async function changeAsAdministrator(server: TestServer, script: string): Promise<string> {
  const c = await roleCredentials(server, 'alice', 'Administrator');
  return boto3(server, c, script, [await identityStoreId(server), await instanceArn(server), WORKLOAD]);
}

const config = (url: string, c: RoleCredentials, region = 'us-east-1') => ({
  region,
  endpoint: url,
  maxAttempts: 1,
  credentials: {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
  },
});

export const identityStoreClient = (url: string, c: RoleCredentials, region?: string) =>
  new IdentitystoreClient(config(url, c, region));
export const ssoAdminClient = (url: string, c: RoleCredentials) => new SSOAdminClient(config(url, c));
export const organizationsClient = (url: string, c: RoleCredentials) =>
  new OrganizationsClient(config(url, c));

/** The error name a call fails with (or 'ok'). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as Error).name;
  }
}
