/**
 * Role credentials the way clients get and use them: GetRoleCredentials over HTTP with a bearer
 * token (the portal API), and STS GetCallerIdentity through the AWS SDK's own client, which
 * answers with the account or the error code a client sees.
 */
import assert from 'node:assert/strict';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** GetRoleCredentials (`GET /federation/credentials`) for `bearer`; fails the test unless 200. */
export async function getRoleCredentials(
  url: string,
  bearer: string,
  accountId: string,
  roleName: string,
): Promise<RoleCredentials> {
  const res = await fetch(`${url}/federation/credentials?account_id=${accountId}&role_name=${roleName}`, {
    headers: { 'x-amz-sso_bearer_token': bearer },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { roleCredentials: RoleCredentials }).roleCredentials;
}

/** STS GetCallerIdentity with these credentials: the account id, or the error's name. */
export async function whoAmI(url: string, c: RoleCredentials): Promise<string | undefined> {
  const credentials = {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
  };
  const sts = new STSClient({ region: 'us-east-1', endpoint: url, maxAttempts: 1, credentials });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    return (err as Error).name;
  } finally {
    sts.destroy();
  }
}
