/**
 * Seed an organization straight into the store (users, groups, memberships, accounts,
 * permission sets, assignments) and mint bearer tokens without a browser, for tests that
 * need data before organization-as-code or the sign-in flow are involved.
 *
 * @example
 * const org = await seedOrg(ctx, {
 *   users: [{ userName: 'alice', groups: ['Dev'] }],
 *   groups: [{ name: 'Dev' }],
 *   accounts: [{ id: '111111111111', name: 'Prod' }],
 *   permissionSets: [{ name: 'ReadOnly', sessionHours: 4 }],
 *   assignments: [{ group: 'Dev', permissionSet: 'ReadOnly', accounts: ['111111111111'] }],
 * });
 * const { accessToken } = await issueBearerToken(ctx, { userId: org.users.alice! });
 */
import { randomUUID } from 'node:crypto';
import { hashToken, type IssuedTokens, issueTokenFamily } from '../../src/app/auth/tokens.ts';
import type { AppContext } from '../../src/app/context.ts';
import { opaqueToken, uuid } from '../../src/domain/ids.ts';

export interface SeedUser {
  userName: string;
  displayName?: string;
  email?: string | null;
  status?: 'ENABLED' | 'DISABLED';
  /** Group names (must be in `groups`). */
  groups?: string[];
  passwordHash?: string | null;
}

export interface SeedOrgSpec {
  users?: SeedUser[];
  groups?: Array<{ name: string; description?: string }>;
  accounts?: Array<{ id: string; name?: string; email?: string; status?: string }>;
  permissionSets?: Array<{ name: string; sessionHours?: number; description?: string }>;
  assignments?: Array<{
    user?: string;
    group?: string;
    permissionSet: string;
    accounts: string[];
  }>;
}

export interface SeededOrg {
  /** user name → user id */
  users: Record<string, string>;
  /** group name → group id */
  groups: Record<string, string>;
  /** permission-set name → permission-set id (ps-…) */
  permissionSets: Record<string, string>;
  accounts: string[];
}

const CHUNK = 400;

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

/** Insert an organization; ids are random. Runs in one transaction. */
export async function seedOrg(ctx: AppContext, spec: SeedOrgSpec): Promise<SeededOrg> {
  const now = ctx.clock.now();
  const out: SeededOrg = { users: {}, groups: {}, permissionSets: {}, accounts: [] };
  await ctx.store.db.transaction().execute(async (trx) => {
    const groupRows = (spec.groups ?? []).map((g) => {
      const id = uuid(ctx.random);
      out.groups[g.name] = id;
      return {
        id,
        display_name: g.name,
        display_name_lower: g.name.toLowerCase(),
        description: g.description ?? null,
        external_id: null,
        created_at: now,
        updated_at: now,
        created_by: 'test',
        updated_by: 'test',
      };
    });
    await insertChunked(groupRows, (c) => trx.insertInto('groups').values(c).execute());

    const userRows = (spec.users ?? []).map((u) => {
      const id = uuid(ctx.random);
      out.users[u.userName] = id;
      return {
        id,
        user_name: u.userName,
        user_name_lower: u.userName.toLowerCase(),
        display_name: u.displayName ?? u.userName,
        given_name: null,
        family_name: null,
        email: u.email === undefined ? `${u.userName}@example.com` : u.email,
        status: u.status ?? 'ENABLED',
        password_hash: u.passwordHash ?? null,
        external_id: null,
        created_at: now,
        updated_at: now,
        created_by: 'test',
        updated_by: 'test',
      };
    });
    await insertChunked(userRows, (c) => trx.insertInto('users').values(c).execute());

    const memberships = (spec.users ?? []).flatMap((u) =>
      (u.groups ?? []).map((g) => {
        const groupId = out.groups[g];
        if (!groupId) throw new Error(`seedOrg: user ${u.userName} names unknown group ${g}`);
        return {
          id: uuid(ctx.random),
          group_id: groupId,
          user_id: out.users[u.userName]!,
          created_at: now,
          created_by: 'test',
        };
      }),
    );
    await insertChunked(memberships, (c) => trx.insertInto('group_memberships').values(c).execute());

    const accountRows = (spec.accounts ?? []).map((a) => {
      out.accounts.push(a.id);
      return {
        id: a.id,
        name: a.name ?? `Account ${a.id}`,
        email: a.email ?? `aws+${a.id}@example.com`,
        ou_id: null,
        status: a.status ?? 'ACTIVE',
        joined_method: 'CREATED',
        created_at: now,
        updated_at: now,
      };
    });
    await insertChunked(accountRows, (c) => trx.insertInto('accounts').values(c).execute());

    const psRows = (spec.permissionSets ?? []).map((p) => {
      const id = `ps-${ctx.random.bytes(8).toString('hex')}`;
      out.permissionSets[p.name] = id;
      const hours = p.sessionHours ?? 1;
      return {
        id,
        name: p.name,
        name_lower: p.name.toLowerCase(),
        description: p.description ?? null,
        session_duration: `PT${hours}H`,
        session_seconds: hours * 3600,
        relay_state: null,
        inline_policy: null,
        permissions_boundary: null,
        version: 1,
        created_at: now,
        updated_at: now,
      };
    });
    await insertChunked(psRows, (c) => trx.insertInto('permission_sets').values(c).execute());

    const assignmentRows = (spec.assignments ?? []).flatMap((a) => {
      const psId = out.permissionSets[a.permissionSet];
      if (!psId) throw new Error(`seedOrg: unknown permission set ${a.permissionSet}`);
      const principalType = a.user ? 'USER' : 'GROUP';
      const principalId = a.user ? out.users[a.user] : a.group ? out.groups[a.group] : undefined;
      if (!principalId) throw new Error(`seedOrg: assignment names unknown principal ${a.user ?? a.group}`);
      return a.accounts.map((accountId) => ({
        id: uuid(ctx.random),
        account_id: accountId,
        permission_set_id: psId,
        principal_type: principalType,
        principal_id: principalId,
        created_at: now,
        created_by: 'test',
      }));
    });
    await insertChunked(assignmentRows, (c) => trx.insertInto('account_assignments').values(c).execute());
    await trx
      .updateTable('instance')
      .set((eb) => ({ generation: eb('generation', '+', 1) }))
      .where('id', '=', 'default')
      .execute();
  });
  return out;
}

export interface BearerTokenOptions {
  userId: string;
  /** Portal session lifetime (ms from now); default 8 h. */
  sessionTtlMs?: number;
  /** Access-token lifetime (ms); default 1 h. */
  accessTtlMs?: number;
  clientId?: string;
  sourceIp?: string | null;
}

export interface BearerToken extends IssuedTokens {
  sessionId: string;
  clientId: string;
}

/**
 * A portal session with one OIDC token family in it, as a finished device or PKCE login leaves
 * behind; returns the bearer (access) token for `x-amz-sso_bearer_token`.
 */
export async function issueBearerToken(ctx: AppContext, options: BearerTokenOptions): Promise<BearerToken> {
  const now = ctx.clock.now();
  const sessionExpiresAt = now + (options.sessionTtlMs ?? 8 * 3600_000);
  const sessionId = uuid(ctx.random);
  const clientId = options.clientId ?? `test-client-${randomUUID()}`;
  return ctx.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('portal_sessions')
      .values({
        id: sessionId,
        token_hash: hashToken(opaqueToken(ctx.random)),
        user_id: options.userId,
        mfa_done: 1,
        created_at: now,
        expires_at: sessionExpiresAt,
        last_seen_at: now,
        revoked_at: null,
        source_ip: options.sourceIp ?? '127.0.0.1',
        user_agent: 'test',
      })
      .execute();
    const tokens = await issueTokenFamily(ctx, trx, {
      userId: options.userId,
      clientId,
      sessionId,
      scopes: ['sso:account:access'],
      familyExpiresAt: sessionExpiresAt,
      accessTtlMs: options.accessTtlMs ?? 3600_000,
    });
    return { ...tokens, sessionId, clientId };
  });
}

/** Twelve-digit account ids 100000000000, 100000000001, … */
export function accountIds(count: number, base = 100_000_000_000): string[] {
  return Array.from({ length: count }, (_, i) => String(base + i).padStart(12, '0'));
}
