/**
 * STS `AssumeRoleWithSAML` and `AssumeRoleWithWebIdentity` through the AWS SDK: the calls that
 * turn a signed assertion or ID token into real credentials for a federated (`aws`) account. The
 * calls are unsigned (the assertion or token is the proof), so the server needs no AWS
 * credentials of its own and never reads ambient ones.
 *
 * One SDK client per endpoint and region, made on first use and kept (they hold keep-alive
 * connections, and each command's resolved middleware stack); each call is bounded by the
 * timeout, connecting included, and not retried here, so a caller waits at most that long. A failure comes back as an `StsCallError` saying whether
 * STS answered (with its error code, message and request id) or could not be reached in time.
 */
import type { Credentials, STSClient } from '@aws-sdk/client-sts';

type Sdk = typeof import('@aws-sdk/client-sts');
let sdk: Promise<Sdk> | undefined;
/** The SDK loads on the first federated call: a server with only local accounts never pays for it. */
const loadSdk = (): Promise<Sdk> => {
  sdk ??= import('@aws-sdk/client-sts');
  return sdk;
};

export interface AssumeRoleWithSamlRequest {
  /** `https://sts.<region>.amazonaws.com` or the configured override. */
  endpoint: string;
  region: string;
  roleArn: string;
  providerArn: string;
  /** The signed SAML Response, base64. */
  assertion: string;
  durationSeconds: number;
}

export interface AssumeRoleWithWebIdentityRequest {
  endpoint: string;
  region: string;
  roleArn: string;
  /** The role session name (the user name). */
  sessionName: string;
  /** The signed ID token (compact JWS). */
  token: string;
  durationSeconds: number;
}

export interface StsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
  /** STS's `x-amzn-RequestId`, for CloudTrail and support cases. */
  requestId: string | undefined;
}

/**
 * - `refused`: STS answered with an error (`code`, `message`, `requestId` say which);
 * - `timeout`: no answer within the timeout;
 * - `unreachable`: no connection (refused, DNS, TLS) or an answer that is not STS's.
 */
export type StsFailure = 'refused' | 'timeout' | 'unreachable';

export class StsCallError extends Error {
  readonly failure: StsFailure;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly status: number | undefined;
  readonly endpoint: string;

  constructor(
    failure: StsFailure,
    detail: { code: string; message: string; requestId?: string; status?: number; endpoint: string },
    options?: { cause?: unknown },
  ) {
    super(detail.message, options);
    this.name = 'StsCallError';
    this.failure = failure;
    this.code = detail.code;
    this.requestId = detail.requestId;
    this.status = detail.status;
    this.endpoint = detail.endpoint;
  }
}

/** What both calls answer, as far as this reads it. */
interface StsAnswer {
  Credentials?: Credentials | undefined;
  $metadata: { requestId?: string | undefined };
}

export interface FederationSts {
  assumeRoleWithSaml(request: AssumeRoleWithSamlRequest): Promise<StsCredentials>;
  assumeRoleWithWebIdentity(request: AssumeRoleWithWebIdentityRequest): Promise<StsCredentials>;
  /** Close the kept connections (the server is stopping). */
  close(): void;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The SDK's error, or a network failure, as an `StsCallError`. */
export function stsCallError(err: unknown, endpoint: string, timedOut: boolean): StsCallError {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId;
  const name = e.name ?? 'Error';
  if (timedOut || name === 'TimeoutError' || name === 'AbortError' || e.code === 'ETIMEDOUT') {
    return new StsCallError(
      'timeout',
      { code: 'Timeout', message: e.message ?? name, endpoint },
      { cause: err },
    );
  }
  if (status !== undefined && status > 0 && e.$fault !== undefined && requestId !== undefined) {
    return new StsCallError(
      'refused',
      { code: name, message: e.message ?? '', requestId, status, endpoint },
      { cause: err },
    );
  }
  if (status !== undefined && status > 0 && status < 600 && name !== 'Error') {
    // An error document without a request id: an answer, but perhaps not from STS.
    return new StsCallError(
      'refused',
      { code: name, message: e.message ?? '', status, endpoint },
      { cause: err },
    );
  }
  const code = e.code && NETWORK_CODES.has(e.code) ? e.code : name;
  return new StsCallError('unreachable', { code, message: e.message ?? name, endpoint }, { cause: err });
}

export function createFederationSts(options: { timeoutMs: number }): FederationSts {
  const clients = new Map<string, STSClient>();
  const clientFor = (sdk: Sdk, endpoint: string, region: string): STSClient => {
    const key = `${endpoint} ${region}`;
    let client = clients.get(key);
    if (!client) {
      client = new sdk.STSClient({
        region,
        endpoint,
        // The caller (an SDK, the CLI) retries; here one attempt, bounded.
        maxAttempts: 1,
        // Each command's middleware stack is resolved once and kept, instead of on every call
        // (a third of the SDK's own time per call); `send` then takes no per-call options, so
        // the deadline is kept below rather than by an abort signal.
        cacheMiddleware: true,
        requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
        // Both calls are unsigned; no credentials are looked for or sent.
        credentials: async () => {
          throw new Error(
            'AssumeRoleWithSAML and AssumeRoleWithWebIdentity are unsigned: no AWS credentials are used',
          );
        },
      });
      clients.set(key, client);
    }
    return client;
  };
  /**
   * One unsigned call, bounded by the timeout, its answer checked for complete credentials. The
   * caller gets its answer or the timeout within `timeoutMs`; a request still open then is ended
   * by the handler's own timeouts (connecting, and silence on the socket, the same length).
   */
  const call = async (
    endpoint: string,
    region: string,
    send: (sdk: Sdk, client: STSClient) => Promise<StsAnswer>,
  ): Promise<StsCredentials> => {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let out: StsAnswer;
    try {
      const sdk = await loadSdk();
      const sent = send(sdk, clientFor(sdk, endpoint, region));
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          // Settled later, or never: nobody waits for it any more.
          sent.catch(() => {});
          reject(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      });
      out = await Promise.race([sent, deadline]);
    } catch (err) {
      throw stsCallError(err, endpoint, timedOut);
    } finally {
      clearTimeout(timer);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new StsCallError('unreachable', {
        code: 'IncompleteAnswer',
        message: 'STS answered without complete credentials',
        endpoint,
        ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
      });
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration.getTime(),
      requestId: out.$metadata.requestId,
    };
  };
  return {
    assumeRoleWithSaml: (request) =>
      call(request.endpoint, request.region, (sdk, client) =>
        client.send(
          new sdk.AssumeRoleWithSAMLCommand({
            RoleArn: request.roleArn,
            PrincipalArn: request.providerArn,
            SAMLAssertion: request.assertion,
            DurationSeconds: request.durationSeconds,
          }),
        ),
      ),
    assumeRoleWithWebIdentity: (request) =>
      call(request.endpoint, request.region, (sdk, client) =>
        client.send(
          new sdk.AssumeRoleWithWebIdentityCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            WebIdentityToken: request.token,
            DurationSeconds: request.durationSeconds,
          }),
        ),
      ),
    close() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}
