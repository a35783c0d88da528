/**
 * `idcenter console --profile P`: the AWS Management Console as the profile's role, from the
 * terminal. With the profile's SSO token (from `aws sso login` or `idcenter sso login`) the
 * server makes a one-time link (idcenter's console extension, `POST /idcenter/v1/console`);
 * the browser is opened on it, without a shell (`browser.ts`), or with `--no-browser` the link
 * is printed to open anywhere within a minute. It works once. Only idcenter servers have the
 * extension: AWS IAM Identity Center has no such API.
 */
import { CliError } from '../errors.ts';
import { loginHint, resolveSsoProfile } from './aws-config.ts';
import { canOpenBrowser, openableUrl, openBrowser } from './browser.ts';
import type { ClientContext } from './context.ts';
import { endpointProfile, resolveEndpoint } from './endpoints.ts';
import { EXIT_SERVICE, ServiceError } from './http.ts';
import { PortalClient } from './portal.ts';
import { ensureToken, LoginRequiredError } from './token.ts';

export interface ConsoleOptions {
  profile: string;
  destination?: string | undefined;
  noBrowser?: boolean | undefined;
  /** How the URL is opened (tests); the default browser otherwise. */
  openUrl?: (url: string) => Promise<boolean>;
}

export async function openConsole(ctx: ClientContext, opts: ConsoleOptions): Promise<void> {
  const { io } = ctx;
  const profile = resolveSsoProfile(ctx.cfg, opts.profile);
  const { token } = await ensureToken(ctx, profile);
  const endpoint = resolveEndpoint('sso', profile.region, {
    env: io.env,
    cfg: ctx.cfg,
    profile: endpointProfile(ctx.cfg, profile),
  });
  const portal = new PortalClient(ctx.http, endpoint.url, token.accessToken);
  let link: { url: string; expiresAt: number };
  try {
    link = await portal.consoleLink(profile.accountId, profile.roleName, opts.destination);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    if (err.code === 'UnauthorizedException') {
      throw new LoginRequiredError(
        `The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run: ${loginHint(profile)}`,
      );
    }
    if (err.status === 404 && err.code !== 'ResourceNotFoundException') {
      throw new CliError(
        `The server at ${endpoint.url} has no console sign-in (an idcenter extension; AWS IAM Identity Center opens the console from its access portal).`,
        EXIT_SERVICE,
      );
    }
    if (err.code === 'ForbiddenException') {
      throw new CliError(
        `${err.message}. Your sign-in does not grant role ${profile.roleName} in account ${profile.accountId}; ask your administrator.`,
        EXIT_SERVICE,
      );
    }
    throw new CliError(err.message, EXIT_SERVICE);
  }
  const url = openableUrl(link.url);
  if (url === null)
    throw new CliError(`The server answered a link that is not an http(s) URL.`, EXIT_SERVICE);
  const what = `role ${profile.roleName} in account ${profile.accountId}`;
  const expires = `It works once, until ${new Date(link.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}.`;
  const open = opts.openUrl ?? ((u: string) => openBrowser(u, io.env));
  if (!opts.noBrowser && (opts.openUrl !== undefined || canOpenBrowser(io.env)) && (await open(url))) {
    io.stdout.write(`Opening the AWS console as ${what} in your browser.\n`);
    return;
  }
  if (!opts.noBrowser) io.stdout.write('No browser could be opened on this machine.\n');
  io.stdout.write(
    `Open this link in a browser to sign in to the AWS console as ${what}. ${expires}\n\n${url}\n`,
  );
}
