/**
 * `idcenter assume`: pick an account and role from every one the sign-in may use, by typing
 * parts of their names (every word must match: `prod admin`), then run a shell or a command with
 * that role's credentials, the way granted's `assume` works. The sign-in is the one of
 * `--profile` (its sso-session or start URL) or `--sso-session`; `--account` and `--role`
 * narrow the list, and when one choice is left there is no menu.
 */
import { CliError } from '../errors.ts';
import { getProfile, resolveLoginTarget, type SsoProfile, type SsoTarget, str } from './aws-config.ts';
import type { ClientContext } from './context.ts';
import { type ResolvedCredentials, roleCredentials } from './credentials.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { ServiceError } from './http.ts';
import { type AccessMap, PortalClient } from './portal.ts';
import type { Prompter } from './prompt.ts';
import { ensureToken, LoginRequiredError } from './token.ts';

export interface AssumeOptions {
  profile?: string | undefined;
  ssoSession?: string | undefined;
  account?: string | undefined;
  role?: string | undefined;
}

export interface RoleChoice {
  accountId: string;
  accountName?: string | undefined;
  roleName: string;
}

export function choiceLabel(c: RoleChoice): string {
  return `${c.accountName ?? c.accountId} (${c.accountId}) / ${c.roleName}`;
}

/** Every account and role, sorted by account name then role. */
export function roleChoices(map: AccessMap): RoleChoice[] {
  const out: RoleChoice[] = [];
  for (const a of map.accounts)
    for (const r of a.roles) out.push({ accountId: a.accountId, accountName: a.accountName, roleName: r });
  const key = (c: RoleChoice) =>
    `${(c.accountName ?? c.accountId).toLowerCase()}\u0000${c.roleName.toLowerCase()}`;
  return out.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/** `--account` matches an id or a name (any case); `--role` a role name (any case). */
export function narrow(choices: readonly RoleChoice[], account?: string, role?: string): RoleChoice[] {
  const a = account?.toLowerCase().replace(/-/g, '');
  return choices.filter(
    (c) =>
      (a === undefined || c.accountId === a || c.accountName?.toLowerCase() === account?.toLowerCase()) &&
      (role === undefined || c.roleName.toLowerCase() === role.toLowerCase()),
  );
}

async function accessOf(ctx: ClientContext, target: SsoTarget): Promise<AccessMap> {
  const token = (await ensureToken(ctx, target)).token.accessToken;
  const endpoint = resolveEndpoint('sso', target.region, {
    env: ctx.io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, target),
  });
  const portal = new PortalClient(ctx.http, endpoint.url, token);
  try {
    // An idcenter server answers in one call; AWS page by page.
    const map = endpoint.custom ? await portal.discoverAccess() : undefined;
    if (map) return map;
    const accounts = await portal.listAllAccounts();
    return {
      accounts: await Promise.all(
        accounts.map(async (a) => ({
          ...a,
          roles: (await portal.listAllRoles(a.accountId)).map((r) => r.roleName),
        })),
      ),
    };
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'UnauthorizedException') {
      throw new LoginRequiredError(
        `The SSO session has expired or is otherwise invalid. To sign in again, run: idcenter sso login${
          target.sessionName
            ? ` --sso-session ${target.sessionName}`
            : ` --profile ${target.profileName ?? 'default'}`
        }`,
      );
    }
    if (err instanceof ServiceError) throw new CliError(err.message, 254);
    throw err;
  }
}

/** Pick the role (asking only when more than one is left) and get its credentials. */
export async function assumeRole(
  ctx: ClientContext,
  prompter: () => Prompter,
  options: AssumeOptions,
): Promise<{ profile: SsoProfile; choice: RoleChoice; creds: ResolvedCredentials }> {
  const target = resolveLoginTarget(ctx.cfg, { profile: options.profile, ssoSession: options.ssoSession });
  const all = roleChoices(await accessOf(ctx, target));
  const left = narrow(all, options.account, options.role);
  if (left.length === 0) {
    const wanted = [options.account && `account ${options.account}`, options.role && `role ${options.role}`]
      .filter(Boolean)
      .join(' and ');
    throw new CliError(
      all.length === 0
        ? 'No AWS accounts are available to you.'
        : `No ${wanted || 'role'} is available to you; you may use: ${all.map(choiceLabel).join(', ')}`,
      253,
    );
  }
  let choice = left[0] as RoleChoice;
  if (left.length > 1) {
    const p = prompter();
    try {
      ctx.io.stdout.write('Choose an account and role (type to search):\n');
      choice = await p.select(left, choiceLabel);
    } finally {
      p.close();
    }
  }
  // The client region of the profile the sign-in came from, else the SSO region.
  const named =
    target.profileName !== undefined ? str(getProfile(ctx.cfg, target.profileName)?.region) : undefined;
  const profile: SsoProfile = {
    ...target,
    profileName: target.profileName ?? `assume:${choice.accountId}:${choice.roleName}`,
    accountId: choice.accountId,
    roleName: choice.roleName,
    clientRegion: named ?? target.region,
  };
  return { profile, choice, creds: await roleCredentials(ctx, profile) };
}
