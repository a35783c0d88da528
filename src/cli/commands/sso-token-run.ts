/**
 * `idcenter user sso-token`: sign a user in without a browser and write the AWS SSO token cache
 * (`~/.aws/sso/cache/<sha1>.json`, botocore's format), so the AWS CLI, boto3 and the SDKs work
 * at once: for CI jobs that test SSO tooling against idcenter. It opens the store, as every
 * administration command does, so only whoever runs the server can use it.
 */
import { issueAdminSignIn } from '../../app/auth/admin-signin.ts';
import { closeCommandContext, openCommandContext } from '../../app/command-store.ts';
import { type CachedToken, formatTimestamp, SsoCache, tokenCacheKey } from '../client/cache.ts';
import { CliError } from '../errors.ts';
import { textArgument } from '../text-argument.ts';
import { adminConfig } from './admin-config.ts';
import type { StoreFlags } from './store-options.ts';

export interface SsoTokenFlags extends StoreFlags {
  startUrl?: string;
  ssoSession?: string;
  region?: string;
  publicUrl?: string;
}

const SCOPE = 'sso:account:access';

export async function runSsoToken(userArg: string, flags: SsoTokenFlags): Promise<void> {
  const userName = textArgument('the user name', userArg);
  const config = adminConfig(flags);
  const startUrl = flags.startUrl ?? config.startUrl;
  const region = flags.region ?? config.region;
  if (!/^https?:\/\/[^/]/.test(startUrl))
    throw new CliError(`--start-url ${startUrl} is not an http(s) URL`, 252);
  const session = flags.ssoSession;
  const ctx = await openCommandContext(config.databaseUrl);
  let signIn: Awaited<ReturnType<typeof issueAdminSignIn>>;
  try {
    signIn = await issueAdminSignIn(ctx, {
      userName,
      origin: new URL(config.publicUrl).origin,
      // An sso-session gets a refresh token, as its registration asks for the scope; a legacy
      // start URL gets an access token for the whole session, as AWS gives one.
      scopes: session ? [SCOPE] : [],
      clientName: `idcenter-sso-token-${session ?? 'legacy'}`,
      accessTokenTtlMs: config.accessTokenTtl * 1000,
      sessionTtlMs: config.portalSessionDuration * 1000,
      actor: `cli:${process.env.USER ?? 'admin'}`,
    });
  } finally {
    await closeCommandContext(ctx).catch(() => {});
  }
  const now = Date.now();
  const token: CachedToken = {
    startUrl,
    region,
    accessToken: signIn.accessToken,
    expiresAt: formatTimestamp(now + signIn.expiresIn * 1000),
    clientId: signIn.clientId,
    clientSecret: signIn.clientSecret,
    registrationExpiresAt: formatTimestamp(signIn.clientExpiresAt),
  };
  if (signIn.refreshToken) token.refreshToken = signIn.refreshToken;
  const cache = new SsoCache(process.env);
  const key = tokenCacheKey(session ? { sessionName: session, startUrl } : { startUrl });
  cache.writeToken(key, token);
  process.stdout.write(
    `Signed in ${userName} for ${session ? `sso-session ${session}` : `start URL ${startUrl}`}: ` +
      `the token is valid until ${token.expiresAt}${token.refreshToken ? ' and refreshable' : ''}; written to ${cache.file(key)}\n`,
  );
}
