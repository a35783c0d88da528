/**
 * STS (awsQuery in, XML out; docs/wire-protocols.md, "STS"). `http/root.ts` sends every `POST /`
 * and `GET /?Action=` without `X-Amz-Target` here. Steps: verify SigV4 (header or presigned) with
 * the role credentials this server issued — no database read, the session token carries what
 * the verifier needs — then read the parameters (query string and form body; a parameter that
 * is not UTF-8 text without control characters is 400 InvalidParameterValue) and run the
 * action. Every failure is STS error XML, never anything else; every failed signature check is
 * counted, and audited with what the request carried bounded to 256 characters, repeats from one
 * address counted into one row a minute.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuditAction, clientText } from '../../app/audit.ts';
import type { RoleSessionClaims } from '../../app/credentials/seal.ts';
import { type CredentialCheck, checkRoleCredentials } from '../../app/credentials/service.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { DomainError, isDomainError } from '../../domain/errors.ts';
import type { SignableRequest } from '../../domain/sigv4.ts';
import { sendAwsJsonError } from '../codecs/aws-json.ts';
import { parseForm, queryErrorXml, queryResultXml, sendQueryError } from '../codecs/aws-query.ts';
import { formFaultMessage } from '../codecs/form.ts';
import { type SigV4Failure, sigv4Failure } from '../sigv4/failure.ts';
import type { CredentialResolver, ResolvedCredential, SigV4Verifier, Verified } from '../sigv4/verify.ts';
import { type ErrorLog, logWireError, publicMessage, type WireError } from '../wire-error.ts';
import {
  EXPIRED_TOKEN_MESSAGE,
  INTERNAL_FAILURE_MESSAGE,
  INVALID_TOKEN_MESSAGE,
  STS_REQUEST_ERRORS as R,
  STS_ERRORS,
  StsError,
} from './errors.ts';
import { getAccessKeyInfo } from './get-access-key-info.ts';
import { getCallerIdentity } from './get-caller-identity.ts';

export type StsHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export const STS_VERSION = '2011-06-15';
/** Allowed difference between a request's X-Amz-Date and the server clock. */
export const STS_CLOCK_SKEW_MS = 5 * 60_000;

/** What an STS call needs of a request, however it arrived (Fastify route or the fast path). */
export interface StsCall {
  method: string;
  /** The request target as on the request line (path and query). */
  url: string;
  /** Raw header list as received: [name, value, name, value, …]. */
  rawHeaders: readonly string[];
  contentType: string | undefined;
  body: Buffer;
  id: string;
  ip: string;
  log: ErrorLog;
}

/**
 * A whole answer: status and XML body. The transport sends it as `text/xml` with
 * `x-amzn-RequestId` and a `date` header from the injected clock (`StsAnswerer.date`).
 */
export interface StsAnswer {
  status: number;
  body: string;
}

/**
 * A server's STS: built once where the server is put together and used by both ways a call
 * arrives (the Fastify route and the fast path), so they share what it keeps between calls.
 */
export interface StsAnswerer {
  /** The answer to a call (never throws). */
  answer(call: StsCall): StsAnswer | Promise<StsAnswer>;
  /**
   * The `date` header of an STS answer: SDKs correct their clock skew from it. Formatted once
   * per second of the (injected) clock.
   */
  date(): string;
}

/** The request as SigV4 needs it: path and query from the original request line, raw headers. */
export function signableRequest(
  call: Pick<StsCall, 'method' | 'url' | 'rawHeaders' | 'body'>,
): SignableRequest {
  const url = call.url;
  const q = url.indexOf('?');
  return {
    method: call.method,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    rawHeaders: call.rawHeaders,
    body: call.body,
  };
}

function isFormBody(contentType: string | undefined): boolean {
  return (
    typeof contentType === 'string' &&
    contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')
  );
}

/**
 * Checks the role session credentials a signature names: the claims and the secret to verify
 * with, or the failure real STS answers for an expired or unknown token.
 */
export function roleCredentialResolver(deps: ServerDeps): CredentialResolver<RoleSessionClaims> {
  const verdict = (check: CredentialCheck): ResolvedCredential<RoleSessionClaims> | SigV4Failure => {
    if (check.ok) return { ok: true, secretAccessKey: check.secretAccessKey, principal: check.claims };
    if (check.reason === 'expired') return sigv4Failure('ExpiredToken', EXPIRED_TOKEN_MESSAGE);
    return sigv4Failure('InvalidClientTokenId', INVALID_TOKEN_MESSAGE);
  };
  return (accessKeyId, sessionToken) => {
    const check = checkRoleCredentials(deps.credentials, deps.ctx.clock.now(), accessKeyId, sessionToken);
    return check instanceof Promise ? check.then(verdict) : verdict(check);
  };
}

/**
 * Counts a failed signature check and writes its audit row (`action` on `targetType`). A write
 * failure is logged, never thrown: the caller still answers the client.
 */
export async function auditSignatureFailure(
  deps: ServerDeps,
  failure: SigV4Failure,
  where: { action: AuditAction; targetType: string; ip: string; requestId: string; log: ErrorLog },
): Promise<void> {
  if (failure.code === 'MissingAuthenticationToken') {
    // No signature, nothing checked: counted, not written (unsigned floods cost no writes).
    deps.metrics.securityEvents.labels('unsigned_request').inc();
    return;
  }
  deps.metrics.securityEvents.labels('signature_failure').inc();
  // Only a well-formed key id is recorded as such: the rest is attacker-chosen text, kept to
  // the bounded client text of the row (the reason quotes what the request carried).
  const keyId =
    failure.accessKeyId !== undefined && /^[A-Za-z0-9]{1,128}$/.test(failure.accessKeyId)
      ? failure.accessKeyId
      : null;
  // Repeats from one address within a minute are counted into one row (app/failure-audit.ts).
  const event = deps.ctx.memory.failures.admit(
    {
      at: deps.ctx.clock.now(),
      actor: keyId ? `key:${keyId}` : 'anonymous',
      action: where.action,
      targetType: where.targetType,
      targetId: null,
      // The reason may quote the request (a credential scope, a date): bounded, no control
      // or invisible characters kept (clientText).
      detail: { code: failure.code, ...clientText({ accessKeyId: keyId, reason: failure.message }) },
      sourceIp: where.ip,
      requestId: where.requestId,
    },
    failure.code,
  );
  if (!event) return;
  try {
    await deps.credentials.audit.write(event);
  } catch (err) {
    where.log.error({ err }, 'cannot write the audit event of a failed signature check');
  }
}

/**
 * The STS operations behind one function from call to answer (never throws). `verifier` checks
 * signatures, keeping the signing keys it derives; the server's credential service opens session
 * tokens and its audit writer takes the rows of failed checks, counted first by the context's
 * `memory.failures`.
 */
export function createStsAnswerer(deps: ServerDeps, verifier: SigV4Verifier): StsAnswerer {
  const partition = deps.config.partition;

  const resolve = roleCredentialResolver(deps);
  /** The answer of GetCallerIdentity for a token's claims: the same every time it is used. */
  const identities = new WeakMap<RoleSessionClaims, string>();
  const identity = (claims: RoleSessionClaims): string => {
    let xml = identities.get(claims);
    if (xml === undefined) {
      xml = getCallerIdentity(claims, partition);
      identities.set(claims, xml);
    }
    return xml;
  };

  const auditFailure = (call: StsCall, failure: SigV4Failure) =>
    auditSignatureFailure(deps, failure, {
      action: 'sts.signature_failure',
      targetType: 'STS',
      ip: call.ip,
      requestId: call.id,
      log: call.log,
    });
  const error = (status: number, code: string, message: string, id: string): StsAnswer => ({
    status,
    body: queryErrorXml(status, code, message, id),
  });

  /** The answer of a request error (`STS_REQUEST_ERRORS`) with its message. */
  const refuse = (wire: WireError, message: string, id: string): StsAnswer =>
    error(wire.status, wire.code, wire.message ?? message, id);

  /** A thrown error's answer: a request error as raised, a domain error from the catalog. */
  const failed = (call: StsCall, err: unknown): StsAnswer => {
    if (err instanceof StsError) return error(err.status, err.code, err.message, call.id);
    const domain = isDomainError(err)
      ? err
      : new DomainError('internal', INTERNAL_FAILURE_MESSAGE, { cause: err });
    const wire = STS_ERRORS[domain.code];
    logWireError(call.log, wire, err, 'STS request');
    return error(wire.status, wire.code, publicMessage(wire, domain), call.id);
  };

  /** The action of a verified call (or the failure's answer, once it is audited). */
  const act = (
    call: StsCall,
    verified: Verified<RoleSessionClaims> | SigV4Failure,
  ): StsAnswer | Promise<StsAnswer> => {
    const id = call.id;
    if (!verified.ok) {
      return auditFailure(call, verified).then(() =>
        error(verified.status, verified.code, verified.message, id),
      );
    }
    const q = call.url.indexOf('?');
    const params = new Map<string, string>();
    const fault =
      parseForm(q === -1 ? '' : call.url.slice(q + 1), params) ??
      (call.body.length > 0 && isFormBody(call.contentType) ? parseForm(call.body, params) : undefined);
    if (fault) return refuse(R.invalidParameterValue, formFaultMessage(fault, 'parameter'), id);
    const action = params.get('Action');
    if (action === undefined || action === '') return refuse(R.missingAction, '', id);
    const version = params.get('Version');
    if (version !== STS_VERSION) {
      return refuse(
        R.invalidAction,
        `Could not find operation ${action} for version ${version ?? '(none)'}`,
        id,
      );
    }
    const claims = verified.principal;
    switch (action) {
      case 'GetCallerIdentity':
        return { status: 200, body: queryResultXml(action, identity(claims), id) };
      case 'GetAccessKeyInfo':
        return { status: 200, body: queryResultXml(action, getAccessKeyInfo(params), id) };
      case 'GetSessionToken':
        throw new StsError(R.accessDenied, 'Cannot call GetSessionToken with session credentials');
      default:
        throw new StsError(R.invalidAction, `Could not find operation ${action} for version ${version}`);
    }
  };

  // A promise only when something waits (a revocation-view refresh, a failure's audit row).
  const answer = (call: StsCall): StsAnswer | Promise<StsAnswer> => {
    try {
      const verified = verifier.verify(signableRequest(call), {
        now: deps.ctx.clock.now(),
        service: 'sts',
        maxSkewMs: STS_CLOCK_SKEW_MS,
        resolve,
      });
      const answer = verified instanceof Promise ? verified.then((v) => act(call, v)) : act(call, verified);
      return answer instanceof Promise ? answer.catch((err: unknown) => failed(call, err)) : answer;
    } catch (err) {
      return failed(call, err);
    }
  };

  let lastDate = { second: Number.NaN, text: '' };
  const date = (): string => {
    const now = deps.ctx.clock.now();
    const second = Math.floor(now / 1000);
    if (second !== lastDate.second) lastDate = { second, text: new Date(now).toUTCString() };
    return lastDate.text;
  };

  return { answer, date };
}

/** The Fastify side of STS, answering through the server's one `StsAnswerer`. */
export async function createStsHandler(app: FastifyInstance, sts: StsAnswerer): Promise<StsHandler> {
  // Errors raised before the handler runs (a body over the size limit, a broken
  // Content-Length) must leave in STS XML too; awsJson requests on the same route keep JSON.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'unhandled error');
    const message = status === 500 ? INTERNAL_FAILURE_MESSAGE : err.message;
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.length > 0) {
      const type = status === 500 ? 'InternalServerException' : 'SerializationException';
      return sendAwsJsonError(reply, 'awsJson1_1', status === 500 ? 500 : 400, type, message);
    }
    const wire =
      status === 500 ? R.internalFailure : status === 413 ? R.requestEntityTooLarge : R.malformedInput;
    return sendQueryError(reply, status, wire.code, wire.message ?? message, request.id);
  });

  // Most STS calls are answered by the server's fast path (`http/fast-path.ts`) through the same
  // answerer; this handler takes the rest (query-string calls, chunked bodies, other methods).
  const handler: StsHandler = async (request, reply) => {
    const a = await sts.answer({
      method: request.method,
      url: request.originalUrl,
      rawHeaders: request.raw.rawHeaders,
      contentType: request.headers['content-type'],
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      id: request.id,
      ip: request.ip,
      log: request.log,
    });
    return reply.code(a.status).header('date', sts.date()).type('text/xml').send(a.body);
  };
  // Methods no STS client sends still get an STS answer (the signature names the method).
  app.route({ method: ['PUT', 'DELETE', 'PATCH'], url: '/', handler });
  return handler;
}
