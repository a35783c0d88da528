/**
 * Vending role credentials: the one use case behind the portal API's GetRoleCredentials and
 * the access portal's "Access keys" (docs/behaviour.md, "Role sessions"; docs/wire-protocols.md,
 * "Portal API").
 *
 * Steps: check effective access (direct or through a group) → find or create the provisioned
 * role of (account, permission set) → seal the claims into a session token under the current
 * key → audit. Expiration = now + the permission set's session duration, epoch milliseconds.
 */
import { DomainError } from '../../domain/errors.ts';
import { newRoleHash, newRoleId } from '../../domain/ids.ts';
import type { ServerDeps } from '../../http/deps.ts';
import { generationCaches } from '../../storage/generation-cache.ts';
import { findAccessibleRole } from '../access.ts';
import type { AppContext } from '../context.ts';
import { federatedAccount, vendFederatedCredentials } from '../federation/vend-federated.ts';
import { newAccessKeyId, sealCredentials } from './seal.ts';
import { getCredentialService } from './service.ts';

export interface VendInput {
  userId: string;
  userName: string;
  accountId: string;
  /** Permission-set name, as the portal API calls it. */
  roleName: string;
  /** Portal session the request comes from (web portal, or the token family's session). */
  sessionId: string | null;
  /** OIDC token family of the bearer token (portal API), null from the web portal. */
  familyId: string | null;
  sourceIp: string | null;
  channel: 'portal' | 'sso-api';
  /** When the request arrived (`performance.now()`), see `Store.generation`. */
  receivedAt?: number;
}

export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}

interface ProvisionedRole {
  roleHash: string;
  roleId: string;
}

type AccessibleRole = NonNullable<Awaited<ReturnType<typeof findAccessibleRole>>>;

/**
 * Roles users may use, per store, while nothing that could take them away has changed (see
 * `GenerationCache`); refusals are never kept.
 */
const allowedRoles = generationCaches<AccessibleRole>();

/** Create the provisioned role of (account, permission set) in a transaction; the first row wins. */
async function provisionRole(
  ctx: AppContext,
  accountId: string,
  permissionSetId: string,
): Promise<ProvisionedRole> {
  await ctx.store.db.transaction().execute(async (trx) => {
    const ps = await trx
      .selectFrom('permission_sets')
      .select('version')
      .where('id', '=', permissionSetId)
      .executeTakeFirst();
    await trx
      .insertInto('provisioned_roles')
      .values({
        account_id: accountId,
        permission_set_id: permissionSetId,
        role_hash: newRoleHash(ctx.random),
        role_id: newRoleId(ctx.random),
        provisioned_version: ps?.version ?? 1,
        created_at: ctx.clock.now(),
      })
      // Two requests (or replicas) may race to create it: the first row wins.
      .onConflict((oc) => oc.columns(['account_id', 'permission_set_id']).doNothing())
      .execute();
  });
  const created = await ctx.store.db
    .selectFrom('provisioned_roles')
    .select(['role_hash as roleHash', 'role_id as roleId'])
    .where('account_id', '=', accountId)
    .where('permission_set_id', '=', permissionSetId)
    .executeTakeFirst();
  if (!created) throw new DomainError('internal', 'provisioned role vanished');
  return created;
}

/**
 * Mint role credentials for a user in an account and permission set.
 *
 * @throws DomainError('forbidden', 'No access') when the user has no effective access.
 * @example
 * const c = await vendRoleCredentials(deps, { userId, userName: 'alice', accountId: '111111111111',
 *   roleName: 'ReadOnly', sessionId, familyId: null, sourceIp: '127.0.0.1', channel: 'portal' });
 */
export async function vendRoleCredentials(deps: ServerDeps, input: VendInput): Promise<VendedCredentials> {
  const { ctx } = deps;
  const service = getCredentialService(deps);
  const cache = allowedRoles(ctx.store);
  const generation = await ctx.store.generation(input.receivedAt);
  const key = `${input.userId}\u0000${input.accountId}\u0000${input.roleName}`;
  let role = cache.get(generation, key);
  if (!role) {
    role = await findAccessibleRole(ctx.store, input.userId, input.accountId, input.roleName);
    if (!role) throw new DomainError('forbidden', 'No access');
    // Kept once provisioned; a first issuance provisions the role below and reads again next time.
    if (role.roleHash !== null && role.roleId !== null) cache.set(generation, key, role);
  }
  // A federated (aws) account gets real AWS credentials instead (app/federation/vend-federated.ts).
  const federated = await federatedAccount(ctx.store, generation, input.accountId);
  if (federated) return vendFederatedCredentials(deps, input, role, federated);
  const provisioned =
    role.roleHash !== null && role.roleId !== null
      ? { roleHash: role.roleHash, roleId: role.roleId }
      : await provisionRole(ctx, input.accountId, role.permissionSetId);
  const now = ctx.clock.now();
  const expiration = now + role.sessionSeconds * 1000;
  const sealed = sealCredentials(service.ring, ctx.random, {
    accessKeyId: newAccessKeyId(ctx.random, input.accountId),
    userId: input.userId,
    userName: input.userName,
    accountId: input.accountId,
    permissionSetId: role.permissionSetId,
    roleName: role.roleName,
    roleHash: provisioned.roleHash,
    roleId: provisioned.roleId,
    sessionId: input.sessionId,
    familyId: input.familyId,
    issuedAt: now,
    expiresAt: expiration,
  });
  await service.audit.write({
    at: now,
    actor: `user:${input.userId}`,
    action: 'credentials.issue',
    targetType: 'ROLE',
    targetId: `${input.accountId}/${role.roleName}`,
    detail: {
      userName: input.userName,
      accountId: input.accountId,
      permissionSetId: role.permissionSetId,
      roleName: role.roleName,
      accessKeyId: sealed.accessKeyId,
      expiration: new Date(expiration).toISOString(),
      channel: input.channel,
      sessionId: input.sessionId,
      familyId: input.familyId,
    },
    sourceIp: input.sourceIp,
  });
  return { ...sealed, expiration };
}
