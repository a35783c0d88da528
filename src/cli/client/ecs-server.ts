/**
 * `idcenter ecs-server --profile P`: the ECS container credentials API on 127.0.0.1, for tools
 * that run for hours (IDEs, long test runs, containers): an SDK given
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN` asks it for the
 * profile's role credentials and asks again before they expire, as aws-vault and aws-sso-cli
 * serve them. Each answer comes from the credential cache while it has more than 5 minutes
 * left, else from the portal with the profile's SSO token (refreshed when it can be), so the
 * tool gets fresh credentials for as long as the sign-in lasts.
 *
 * Only a request that carries the token (`Authorization: <token>`, exactly, as the SDKs send it)
 * is answered; the token is random per run and is only in the environment of the tools given it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SsoProfile } from './aws-config.ts';
import type { ClientContext } from './context.ts';
import { type ResolvedCredentials, roleCredentials } from './credentials.ts';

export interface EcsServer {
  /** `http://127.0.0.1:<port>/`: the value of AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  url: string;
  /** The value of AWS_CONTAINER_AUTHORIZATION_TOKEN. */
  token: string;
  close(): Promise<void>;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The container credentials answer the SDKs read (botocore, the JS SDK, Go, Java). */
export function containerCredentialsBody(c: ResolvedCredentials): string {
  return JSON.stringify({
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Token: c.sessionToken,
    Expiration: isoSeconds(c.expiration),
    AccountId: c.accountId,
  });
}

export async function startEcsServer(
  ctx: ClientContext,
  profile: SsoProfile,
  options: { port?: number } = {},
): Promise<EcsServer> {
  const token = randomBytes(32).toString('base64url');
  // One fetch at a time: requests that arrive together share it rather than each asking the portal.
  let pending: Promise<ResolvedCredentials> | undefined;
  const credentials = () => {
    pending ??= roleCredentials(ctx, profile).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization;
    if (auth === undefined) {
      send(
        res,
        401,
        JSON.stringify({ code: 'Unauthorized', message: 'the Authorization header is missing' }),
      );
      return;
    }
    if (!sameToken(auth, token)) {
      send(
        res,
        403,
        JSON.stringify({ code: 'Forbidden', message: 'the authorization token is not this server’s' }),
      );
      return;
    }
    if (req.method !== 'GET') {
      send(res, 405, JSON.stringify({ code: 'MethodNotAllowed', message: 'only GET is answered' }));
      return;
    }
    credentials().then(
      (c) => send(res, 200, containerCredentialsBody(c)),
      (err: Error) => {
        ctx.io.stderr.write(`idcenter ecs-server: cannot get credentials: ${err.message}\n`);
        send(res, 503, JSON.stringify({ code: 'CredentialsUnavailable', message: err.message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The environment a tool needs to use the server: ours minus what would win over it. */
export function containerEnv(
  base: NodeJS.ProcessEnv,
  server: { url: string; token: string },
  options: { region?: string | undefined; stsEndpoint?: string | undefined },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // Keys or a profile in the environment come before container credentials in every SDK's chain.
  for (const k of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_SECURITY_TOKEN',
    'AWS_CREDENTIAL_EXPIRATION',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  ]) {
    delete env[k];
  }
  env.AWS_CONTAINER_CREDENTIALS_FULL_URI = server.url;
  env.AWS_CONTAINER_AUTHORIZATION_TOKEN = server.token;
  if (options.region) {
    env.AWS_REGION = options.region;
    env.AWS_DEFAULT_REGION = options.region;
  }
  if (options.stsEndpoint && !env.AWS_ENDPOINT_URL_STS && !env.AWS_ENDPOINT_URL) {
    env.AWS_ENDPOINT_URL_STS = options.stsEndpoint;
  }
  return env;
}
