/**
 * Role credentials for an SSO profile: from `~/.aws/cli/cache` (AWS CLI v2 layout) while they
 * have more than 5 minutes left, otherwise from the portal's GetRoleCredentials with a usable
 * SSO token, then cached.
 */
import { CliError } from '../errors.ts';
import { loginHint, type SsoProfile } from './aws-config.ts';
import { credentialCacheKey, formatTimestamp, parseTimestamp } from './cache.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { EXIT_SERVICE, ServiceError } from './http.ts';
import { PortalClient } from './portal.ts';
import { ensureToken, LoginRequiredError } from './token.ts';

/** Cached role credentials are reused until this close to their expiry. */
export const CREDENTIAL_REUSE_MARGIN_MS = 5 * 60_000;

export interface ResolvedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
  accountId: string;
  /** True when they came from the cache. */
  cached: boolean;
}

export function credentialKeyOf(p: SsoProfile): string {
  return credentialCacheKey({
    accountId: p.accountId,
    roleName: p.roleName,
    sessionName: p.kind === 'session' ? p.sessionName : undefined,
    startUrl: p.startUrl,
  });
}

export async function roleCredentials(
  ctx: ClientContext,
  profile: SsoProfile,
  options: { refresh?: boolean } = {},
): Promise<ResolvedCredentials> {
  const key = credentialKeyOf(profile);
  if (!options.refresh) {
    const cached = ctx.creds.read(key);
    const exp = cached ? parseTimestamp(cached.Credentials.Expiration) : undefined;
    if (cached && exp !== undefined && exp - ctx.io.now() > CREDENTIAL_REUSE_MARGIN_MS) {
      ctx.io.debug(`using cached role credentials ${ctx.creds.file(key)}`);
      return {
        accessKeyId: cached.Credentials.AccessKeyId,
        secretAccessKey: cached.Credentials.SecretAccessKey,
        sessionToken: cached.Credentials.SessionToken,
        expiration: exp,
        accountId: cached.Credentials.AccountId ?? profile.accountId,
        cached: true,
      };
    }
  }
  const { token } = await ensureToken(ctx, profile);
  const endpoint = resolveEndpoint('sso', profile.region, {
    env: ctx.io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, profile),
  });
  const portal = new PortalClient(ctx.http, endpoint.url, token.accessToken);
  let c: Awaited<ReturnType<PortalClient['getRoleCredentials']>>;
  try {
    c = await portal.getRoleCredentials(profile.accountId, profile.roleName);
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'UnauthorizedException') {
      throw new LoginRequiredError(
        'The SSO session associated with this profile has expired or is otherwise invalid. ' +
          `To refresh this SSO session run: ${loginHint(profile)}`,
      );
    }
    if (
      err instanceof ServiceError &&
      (err.code === 'ForbiddenException' || err.code === 'ResourceNotFoundException')
    ) {
      throw new CliError(
        `${err.message}. Your sign-in does not grant role ${profile.roleName} in account ${profile.accountId}; ` +
          'ask your administrator, or pick another role with: idcenter configure sso' +
          (profile.profileName === 'default' ? '' : ` --profile ${profile.profileName}`),
        EXIT_SERVICE,
      );
    }
    if (err instanceof ServiceError) throw new CliError(err.message, EXIT_SERVICE);
    throw err;
  }
  ctx.creds.write(key, {
    ProviderType: 'sso',
    Credentials: {
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      SessionToken: c.sessionToken,
      Expiration: formatTimestamp(c.expiration),
      AccountId: profile.accountId,
    },
  });
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiration: c.expiration,
    accountId: profile.accountId,
    cached: false,
  };
}
