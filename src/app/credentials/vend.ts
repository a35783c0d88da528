/**
 * Vending role credentials: the one use case behind the portal API's GetRoleCredentials and
 * the access portal's "Access keys" (docs/behaviour.md, "Role sessions"; docs/wire-protocols.md,
 * "Portal API").
 *
 * Steps: check effective access (direct or through a group) → find or create the provisioned
 * role of (account, permission set) → seal the claims into a session token under the current
 * key → audit → confirm nothing was taken away meanwhile. Expiration = now + the permission set's
 * session duration, epoch milliseconds.
 *
 * The confirmation: a revocation committed while a request is being answered carries a stamp
 * taken at the end of its transaction (see `app/revocation.ts`), but the credentials may be
 * minted after that stamp from state read before the commit. So once the audit event is
 * committed, vending reads the store generation again: if it moved since the caller checked the
 * sign-in, the sign-in and the access are read again, and the credentials are withdrawn (403, no
 * access) when either has ended. If it did not move, the revocation commits after this read and
 * its stamp covers the credentials. Either way a credential minted from access state read before
 * a revocation committed is refused or stopped by it.
 */
import { DomainError } from '../../domain/errors.ts';
import { newRoleHash, newRoleId } from '../../domain/ids.ts';
import { findAccessibleRole, type UsableRole } from '../access.ts';
import { roleEvent } from '../audit.ts';
import type { AppContext } from '../context.ts';
import { federatedAccount, vendFederatedCredentials } from '../federation/vend-federated.ts';
import type { ServerDeps } from '../server-deps.ts';
import { newAccessKeyId, sealCredentials } from './seal.ts';
import type { VendedCredentials, VendInput } from './vend-input.ts';

export type { VendedCredentials, VendInput } from './vend-input.ts';

interface ProvisionedRole {
  roleHash: string;
  roleId: string;
}

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
 * The role a user may use in an account, by permission-set name, with the store generation it
 * was read at: the access check of every credential issuance and console sign-in, answered from
 * memory while the generation stands still.
 *
 * @throws DomainError('forbidden', 'No access') when the user has no effective access.
 */
export async function accessibleRole(
  ctx: AppContext,
  who: { userId: string; accountId: string; roleName: string; receivedAt?: number | undefined },
): Promise<{ role: UsableRole; generation: number }> {
  // Kept while nothing that could take them away has changed (see `GenerationCache`); refusals
  // are never kept.
  const cache = ctx.memory.allowedRoles;
  const generation = await ctx.store.generation(who.receivedAt);
  const key = `${who.userId}\u0000${who.accountId}\u0000${who.roleName}`;
  let role = cache.get(generation, key);
  if (!role) {
    role = await findAccessibleRole(ctx.store, who.userId, who.accountId, who.roleName);
    if (!role) throw new DomainError('forbidden', 'No access');
    // Kept once provisioned; a first issuance provisions the role below and reads again next time.
    if (role.roleHash !== null && role.roleId !== null) cache.set(generation, key, role);
  }
  return { role, generation };
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
  const service = deps.credentials;
  const { role, generation } = await accessibleRole(ctx, input);
  const since = input.since ?? generation;
  // A federated (aws) account gets real AWS credentials instead (app/federation/vend-federated.ts).
  const federated = await federatedAccount(ctx, generation, input.accountId);
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
  await service.audit.write(
    roleEvent(now, 'credentials.issue', input, role.roleName, {
      userName: input.userName,
      accountId: input.accountId,
      permissionSetId: role.permissionSetId,
      roleName: role.roleName,
      accessKeyId: sealed.accessKeyId,
      expiration: new Date(expiration).toISOString(),
      channel: input.channel,
      sessionId: input.sessionId,
      familyId: input.familyId,
    }),
  );
  if (!(await stillAllowed(ctx, input, role.permissionSetId, since))) {
    await service.audit.write(
      roleEvent(ctx.clock.now(), 'credentials.withdraw', input, role.roleName, {
        accessKeyId: sealed.accessKeyId,
        reason: 'the sign-in or the access ended while the credentials were issued',
      }),
    );
    throw new DomainError('forbidden', 'No access');
  }
  return { ...sealed, expiration, access: 'local' };
}

/** How many times the store may move under one request before vending gives up (refuses). */
const MAX_RECHECKS = 3;

/**
 * The confirmation step (see the module comment): true when the store generation still stands
 * where it was when the caller checked the sign-in, or when the sign-in and the access still hold
 * in the state read after it moved, and it then stood still.
 */
async function stillAllowed(
  ctx: AppContext,
  input: VendInput,
  permissionSetId: string,
  since: number,
): Promise<boolean> {
  let seen = since;
  for (let recheck = 0; ; recheck++) {
    // A read begun now (or later): after the audit commit above.
    const current = await ctx.store.generation(performance.now());
    if (current === seen) return true;
    if (recheck === MAX_RECHECKS || !(await accessHolds(ctx, input, permissionSetId))) return false;
    seen = current;
  }
}

/** Read from the store: the user is enabled, the session and token family live, access kept. */
async function accessHolds(ctx: AppContext, input: VendInput, permissionSetId: string): Promise<boolean> {
  const db = ctx.store.db;
  const now = ctx.clock.now();
  const user = await db
    .selectFrom('users')
    .select('status')
    .where('id', '=', input.userId)
    .executeTakeFirst();
  if (user?.status !== 'ENABLED') return false;
  if (input.sessionId !== null) {
    const s = await db
      .selectFrom('portal_sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', input.sessionId)
      .executeTakeFirst();
    if (!s || s.revoked_at !== null || s.expires_at <= now) return false;
  }
  if (input.familyId !== null) {
    const f = await db
      .selectFrom('token_families')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', input.familyId)
      .executeTakeFirst();
    if (!f || f.revoked_at !== null || f.expires_at <= now) return false;
  }
  const role = await findAccessibleRole(ctx.store, input.userId, input.accountId, input.roleName);
  return role?.permissionSetId === permissionSetId;
}
