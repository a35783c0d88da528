/**
 * Console sign-in for federated (`aws`) accounts: a signed SAML Response the browser POSTs to
 * the partition's sign-in endpoint (with the RelayState where the console should open), as AWS's
 * own access portal and every SAML identity provider do. The assertion is the one
 * GetRoleCredentials sends STS (`vend-federated.ts`): the same role, provider, session name,
 * duration and session tags; its audience and recipient are the sign-in endpoint.
 *
 * Authorised exactly as GetRoleCredentials is (`accessibleRole`: the user's effective access to
 * the permission set in the account), and audited (`console.signin`). Refused, with a message
 * that says why: no access (403), an account idcenter serves itself (`access: local`: there is
 * no AWS console behind it), an account on OIDC federation (the console takes SAML only), a
 * destination off the partition's console host, a user name or attribute AWS cannot take.
 *
 * The command line (`idcenter console`) holds a bearer token, not a browser session: it asks for
 * a one-time link (`createConsoleLink`, checked the same way, audited `console.link`) that the
 * browser opens within a minute; redeeming it (`redeemConsoleLink`) is one conditional update,
 * so a link works once, on any replica, and only while the sign-in it was made from lives.
 */
import { DomainError } from '../../domain/errors.ts';
import { checkConsoleDestination, consoleFormOrigins } from '../../domain/federation/console.ts';
import { opaqueToken } from '../../domain/ids.ts';
import { roleEvent } from '../audit.ts';
import { hashToken } from '../auth/tokens.ts';
import { accessibleRole } from '../credentials/vend.ts';
import type { ServerDeps } from '../server-deps.ts';
import { accountAccess } from './account-access.ts';
import { type FederatedSession, federatedSession, signedAssertion } from './vend-federated.ts';

/** How long a one-time console link may wait to be opened. */
export const CONSOLE_LINK_SECONDS = 60;

export interface ConsoleRequest {
  userId: string;
  userName: string;
  accountId: string;
  /** Permission-set name. */
  roleName: string;
  /** A console URL to land on instead of the permission set's relay state. */
  destination?: string | undefined;
  /** The portal session (browser), or the bearer token's. */
  sessionId: string | null;
  /** The bearer token's family (command line), null from the browser. */
  familyId: string | null;
  sourceIp: string | null;
  /** `portal`: the portal or a shortcut link; `cli`: a one-time link made for `idcenter console`. */
  channel: 'portal' | 'cli';
  /** When the request arrived (`performance.now()`), see `Store.generation`. */
  receivedAt?: number;
}

/** What the browser is given to POST. */
export interface ConsoleSignIn {
  /** The partition's sign-in endpoint: the form's action. */
  action: string;
  /** Base64 of the signed SAML Response. */
  samlResponse: string;
  /** Where the console opens; null for its home page. */
  relayState: string | null;
  /** Origins the page's `form-action` must allow: the endpoint and the console hosts. */
  formOrigins: string[];
  accountId: string;
  roleName: string;
  roleArn: string;
}

interface ConsoleTarget {
  role: { permissionSetId: string; roleName: string; sessionSeconds: number };
  session: FederatedSession;
  relayState: string | null;
}

/** The checks of a console sign-in, before anything is signed or stored. */
async function consoleTarget(deps: ServerDeps, req: ConsoleRequest): Promise<ConsoleTarget> {
  const { role, generation } = await accessibleRole(deps.ctx, req);
  const account = await accountAccess(deps.ctx, generation, req.accountId);
  if (!account) throw new DomainError('forbidden', 'No access');
  if (account.access !== 'aws') {
    throw new DomainError(
      'invalid_request',
      `Account ${req.accountId} is served by idcenter itself (access: local), not by AWS, so it has no AWS Management Console to sign in to. Use its access keys, or a profile (idcenter configure sso).`,
    );
  }
  if (account.federation !== 'saml') {
    throw new DomainError(
      'invalid_request',
      `Account ${req.accountId} reaches AWS through OIDC federation, and the AWS Management Console signs in through SAML only. Use its access keys or a profile; an administrator can switch the account to SAML (remove federation: oidc in the organization file) for console sign-in.`,
    );
  }
  const session = await federatedSession(deps, req, req.accountId, role, account);
  let relayState = session.relayState;
  if (req.destination !== undefined) {
    const checked = checkConsoleDestination(req.destination, session.target.partition);
    if ('problem' in checked) throw new DomainError('invalid_request', checked.problem);
    relayState = checked.url;
  }
  return { role, session, relayState };
}

/**
 * The signed SAML POST that signs the user in to the AWS Management Console as the permission
 * set's role in the account.
 *
 * @example
 * const form = await consoleSignIn(deps, { userId, userName: 'alice', accountId: '123456789012',
 *   roleName: 'ReadOnly', sessionId, familyId: null, sourceIp, channel: 'portal' });
 */
export async function consoleSignIn(deps: ServerDeps, req: ConsoleRequest): Promise<ConsoleSignIn> {
  const { ctx, federation } = deps;
  const { role, session, relayState } = await consoleTarget(deps, req);
  const { target, tags } = session;
  const now = ctx.clock.now();
  const id = () => `_${ctx.random.bytes(16).toString('hex')}`;
  const samlResponse = await signedAssertion(
    federation,
    {
      userId: req.userId,
      userName: req.userName,
      now,
      ids: { response: id(), assertion: id(), session: id() },
      principalTags: tags,
    },
    target,
    role.sessionSeconds,
  );
  await deps.credentials.audit.write(
    roleEvent(now, 'console.signin', req, role.roleName, {
      userName: req.userName,
      accountId: req.accountId,
      permissionSetId: role.permissionSetId,
      roleName: role.roleName,
      roleArn: target.roleArn,
      signinEndpoint: target.audience,
      relayState,
      ...(Object.keys(tags).length > 0 ? { sessionTags: Object.keys(tags) } : {}),
      channel: req.channel,
      sessionId: req.sessionId,
      familyId: req.familyId,
    }),
  );
  return {
    action: target.audience,
    samlResponse,
    relayState,
    formOrigins: consoleFormOrigins(target.audience, target.partition),
    accountId: req.accountId,
    roleName: role.roleName,
    roleArn: target.roleArn,
  };
}

/**
 * A one-time console link for the command line: checked as a sign-in would be (so a refusal
 * reaches the terminal at once), stored by the hash of its code, audited. The browser opens
 * `<public URL>/start/console?code=<code>` within `CONSOLE_LINK_SECONDS`.
 */
export async function createConsoleLink(
  deps: ServerDeps,
  req: Omit<ConsoleRequest, 'channel'>,
): Promise<{ code: string; expiresAt: number }> {
  const { ctx } = deps;
  const { role, relayState } = await consoleTarget(deps, { ...req, channel: 'cli' });
  const code = opaqueToken(ctx.random);
  const now = ctx.clock.now();
  const expiresAt = now + CONSOLE_LINK_SECONDS * 1000;
  await ctx.store.db
    .insertInto('console_links')
    .values({
      code_hash: hashToken(code),
      user_id: req.userId,
      account_id: req.accountId,
      role_name: role.roleName,
      destination: req.destination ?? null,
      session_id: req.sessionId,
      family_id: req.familyId,
      created_at: now,
      expires_at: expiresAt,
      redeemed_at: null,
    })
    .execute();
  await deps.credentials.audit.write(
    roleEvent(now, 'console.link', req, role.roleName, {
      userName: req.userName,
      accountId: req.accountId,
      roleName: role.roleName,
      relayState,
      expiresAt: new Date(expiresAt).toISOString(),
      sessionId: req.sessionId,
      familyId: req.familyId,
    }),
  );
  return { code, expiresAt };
}

const LINK_GONE =
  'This console sign-in link was already used, or it expired (links work once, within a minute). Run idcenter console again.';

/**
 * Redeem a one-time console link: once, before it expires, while its user is enabled and the
 * sign-in it was made from lives; then the console sign-in, authorised again as of now.
 */
export async function redeemConsoleLink(
  deps: ServerDeps,
  code: string,
  sourceIp: string | null,
): Promise<ConsoleSignIn> {
  const { ctx } = deps;
  const db = ctx.store.db;
  const now = ctx.clock.now();
  const link = await db
    .updateTable('console_links')
    .set({ redeemed_at: now })
    .where('code_hash', '=', hashToken(code))
    .where('redeemed_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  if (!link) throw new DomainError('invalid_grant', LINK_GONE);
  const user = await db
    .selectFrom('users')
    .select(['user_name', 'status'])
    .where('id', '=', link.user_id)
    .executeTakeFirst();
  if (user?.status !== 'ENABLED') throw new DomainError('invalid_grant', LINK_GONE);
  if (link.family_id !== null) {
    const f = await db
      .selectFrom('token_families')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', link.family_id)
      .executeTakeFirst();
    if (!f || f.revoked_at !== null || f.expires_at <= now) throw new DomainError('invalid_grant', LINK_GONE);
  }
  if (link.session_id !== null) {
    const s = await db
      .selectFrom('portal_sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', link.session_id)
      .executeTakeFirst();
    if (!s || s.revoked_at !== null || s.expires_at <= now) throw new DomainError('invalid_grant', LINK_GONE);
  }
  return consoleSignIn(deps, {
    userId: link.user_id,
    userName: user.user_name,
    accountId: link.account_id,
    roleName: link.role_name,
    destination: link.destination ?? undefined,
    sessionId: link.session_id,
    familyId: link.family_id,
    sourceIp,
    channel: 'cli',
  });
}
