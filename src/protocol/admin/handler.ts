/**
 * The admin APIs on `POST /` (awsJson1.1, named by `X-Amz-Target`; docs/wire-protocols.md,
 * "Admin APIs"): identitystore (`AWSIdentityStore.*`), sso-admin (`SWBExternalService.*`) and
 * organizations (`AWSOrganizationsV20161128.*`). Every call:
 *
 * 1. is verified with SigV4 against the role credentials this server issued (the scope must
 *    carry the service's signing name: `identitystore`, `sso`, `organizations`); a failure is the
 *    JSON error AWS's JSON services answer (MissingAuthenticationTokenException,
 *    InvalidSignatureException, UnrecognizedClientException, ExpiredTokenException), counted, and
 *    audited (repeats from one address counted into one row a minute);
 * 2. has its body read as the operation's input (`shapes.ts`): SerializationException or
 *    ValidationException, nothing changed;
 * 3. is authorised by the caller's permission set (`app/admin/caller.ts`) for the operation's
 *    IAM action on the resources it acts on (`domain/iam/operations.ts`): AccessDeniedException
 *    naming the action, audited;
 * 4. runs its use case, which writes its change with an audit row naming the caller.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AdminCaller,
  type AdminRequestFacts,
  type AuthorizeInput,
  authorizeAdmin,
  loadAdminCaller,
} from '../../app/admin/caller.ts';
import type { RoleSessionClaims } from '../../app/credentials/seal.ts';
import { type Instance, readInstance } from '../../app/instance.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { isDomainError } from '../../domain/errors.ts';
import { type AdminService, operationAuthorization } from '../../domain/iam/operations.ts';
import { decodeUtf8 } from '../../domain/wire-text.ts';
import { ERROR_TYPE_HEADER } from '../codecs/aws-json.ts';
import type { SigV4Failure } from '../sigv4/failure.ts';
import type { SigV4Verifier, Verified } from '../sigv4/verify.ts';
import { auditSignatureFailure, roleCredentialResolver, signableRequest } from '../sts/handler.ts';
import type { ErrorLog } from '../wire-error.ts';
import { AdminError, adminErrorOf, INTERNAL_MESSAGE } from './errors.ts';
import { issueNextToken, queryDigest, readNextToken } from './pagination.ts';
import { readInput, SerializationProblem, type Shape, ValidationProblem } from './shapes.ts';

/** The content type of the admin APIs' requests and answers (awsJson1.1). */
export const ADMIN_CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Allowed difference between a request's X-Amz-Date and the server clock, as AWS allows. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** What an operation gets: its checked input, the caller, and the helpers of the call. */
export interface AdminCall<I = Record<string, unknown>> {
  deps: ServerDeps;
  caller: AdminCaller;
  input: I;
  instance: Instance;
  requestId: string;
  ip: string;
  now: number;
  /** Throws AccessDeniedException unless the caller may act on these resources (ARNs). */
  authorize(resources: readonly string[], extra?: Partial<Omit<AuthorizeInput, 'operation' | 'facts'>>): void;
  /** Where a page starts (undefined: the first), or the service's error for a bad token. */
  pageStart(token: string | undefined, query: readonly unknown[]): Promise<string | undefined>;
  /** The NextToken of the page after `after` for the same query. */
  nextToken(after: string, query: readonly unknown[]): Promise<string>;
}

export interface AdminOperation {
  input: Extract<Shape, { t: 'structure' }>;
  // biome-ignore lint/suspicious/noExplicitAny: each operation reads its own checked input
  run(call: AdminCall<any>): Promise<Record<string, unknown>>;
}

export interface AdminServiceDef {
  service: AdminService;
  /** The `X-Amz-Target` prefix. */
  targetPrefix: string;
  /** The SigV4 signing name. */
  signingName: string;
  operations: Readonly<Record<string, AdminOperation>>;
  /** The exception a bad NextToken answers. */
  badToken(): AdminError;
}

/** An operation of a service: its input shape and what it does with an input of that shape. */
export function op<I>(
  input: Extract<Shape, { t: 'structure' }>,
  run: (call: AdminCall<I>) => Promise<Record<string, unknown>>,
): AdminOperation {
  return { input, run } as AdminOperation;
}

/**
 * A list operation's answer: the page's items under `member`, and a NextToken when there is a
 * page after it. `token` is the request's NextToken, checked against the same `query`.
 */
export async function pagedAnswer<T>(
  call: AdminCall<unknown>,
  token: string | undefined,
  query: readonly unknown[],
  list: (after: string | undefined) => Promise<{ items: T[]; after: string | undefined }>,
  member: string,
  wire: (item: T) => unknown = (item) => item,
): Promise<Record<string, unknown>> {
  const after = await call.pageStart(token, query);
  const result = await list(after);
  const out: Record<string, unknown> = { [member]: result.items.map(wire) };
  if (result.after !== undefined) out.NextToken = await call.nextToken(result.after, query);
  return out;
}

/** The JSON error of a failed signature check, as AWS's JSON services send them. */
const SIGV4_ERRORS: Record<SigV4Failure['code'], { type: string; status: number }> = {
  MissingAuthenticationToken: { type: 'MissingAuthenticationTokenException', status: 403 },
  IncompleteSignature: { type: 'IncompleteSignatureException', status: 400 },
  SignatureDoesNotMatch: { type: 'InvalidSignatureException', status: 403 },
  InvalidClientTokenId: { type: 'UnrecognizedClientException', status: 403 },
  ExpiredToken: { type: 'ExpiredTokenException', status: 403 },
  AccessDenied: { type: 'AccessDeniedException', status: 403 },
};

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EMPTY = Buffer.alloc(0);

/** One admin call as it arrived, whichever path took it (a Fastify route or the fast path). */
export interface AdminRequest {
  method: string;
  /** The URL as sent (before any rewriting): the path and query SigV4 signed. */
  url: string;
  rawHeaders: readonly string[];
  body: Buffer;
  /** The request id, also sent as `x-amzn-RequestId`. */
  id: string;
  ip: string;
  /** Whether it came over TLS (`aws:SecureTransport`). */
  secure: boolean;
  log: ErrorLog;
  /** When it arrived (`performance.now()`), for `Store.generation`; unset: read afresh. */
  receivedAt?: number;
}

/** The answer to an admin call: status, the exception's name for an error, the JSON body. */
export interface AdminAnswer {
  status: number;
  /** `x-amzn-ErrorType` of an error answer. */
  errorType?: string;
  body: string;
}

/** The admin calls of a server from request to answer (never rejects). */
export type AdminAnswerer = (
  request: AdminRequest,
  service: AdminServiceDef,
  operation: string,
) => Promise<AdminAnswer>;

function errorAnswer(err: AdminError): AdminAnswer {
  return {
    status: err.status,
    errorType: err.type,
    body: JSON.stringify({ __type: err.type, Message: err.message, message: err.message, ...err.fields }),
  };
}

export type AdminHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  service: AdminServiceDef,
  operation: string,
) => Promise<FastifyReply>;

/** The Fastify route's handler over the server's answerer. */
export function createAdminHandler(answer: AdminAnswerer): AdminHandler {
  return async (request, reply, service, operation) => {
    const a = await answer(
      {
        method: request.method,
        url: request.originalUrl,
        rawHeaders: request.raw.rawHeaders,
        body: Buffer.isBuffer(request.body) ? request.body : EMPTY,
        id: request.id,
        ip: request.ip,
        secure: request.protocol === 'https',
        log: request.log,
      },
      service,
      operation,
    );
    reply.code(a.status);
    if (a.errorType !== undefined) reply.header(ERROR_TYPE_HEADER, a.errorType);
    return reply.type(ADMIN_CONTENT_TYPE).send(a.body);
  };
}

/**
 * The answerer of every admin call of a server, with its own verifier (whose signing keys it
 * keeps). One per server: the Fastify route and the fast path answer through the same one.
 */
export function createAdminAnswerer(deps: ServerDeps, verifier: SigV4Verifier): AdminAnswerer {
  const ctx = deps.ctx;
  const resolve = roleCredentialResolver(deps);
  const partition = deps.config.partition;
  const auditFailure = (request: AdminRequest, failure: SigV4Failure, service: AdminService) =>
    auditSignatureFailure(deps, failure, {
      action: 'admin.signature_failure',
      targetType: service,
      ip: request.ip,
      requestId: request.id,
      log: request.log,
    });

  const auditDenial = async (request: AdminRequest, caller: AdminCaller, action: string, message: string) => {
    deps.metrics.securityEvents.labels('admin_access_denied').inc();
    await deps.credentials.audit
      .write({
        at: ctx.clock.now(),
        actor: caller.actor,
        action: 'admin.access_denied',
        targetType: 'ADMIN_API',
        targetId: action,
        detail: {
          accessKeyId: caller.claims.accessKeyId,
          permissionSetId: caller.claims.permissionSetId,
          message,
        },
        sourceIp: request.ip,
        requestId: request.id,
      })
      .catch((err: unknown) => request.log.error({ err }, 'cannot write the audit event of a denied call'));
  };

  const paging = (service: AdminServiceDef, operationName: string) => ({
    pageStart: async (token: string | undefined, query: readonly unknown[]) => {
      // The first page: nothing to check (no key to read, no digest to make).
      if (token === undefined) return undefined;
      const key = await ctx.memory.serverKeys.get('pagination');
      const start = readNextToken(key, token, operationName, queryDigest(query), ctx.clock.now());
      if (start === null) throw service.badToken();
      return start;
    },
    nextToken: async (after: string, query: readonly unknown[]) =>
      issueNextToken(
        await ctx.memory.serverKeys.get('pagination'),
        operationName,
        queryDigest(query),
        after,
        ctx.clock.now(),
      ),
  });

  const run = async (
    request: AdminRequest,
    service: AdminServiceDef,
    operationName: string,
  ): Promise<AdminAnswer> => {
    const verified = await verifier.verify(
      signableRequest({
        method: request.method,
        url: request.url,
        rawHeaders: request.rawHeaders,
        body: request.body,
      }),
      { now: ctx.clock.now(), service: service.signingName, maxSkewMs: CLOCK_SKEW_MS, resolve },
    );
    if (!verified.ok) {
      await auditFailure(request, verified, service.service);
      const e = SIGV4_ERRORS[verified.code];
      return errorAnswer(new AdminError(e.type, verified.message, {}, e.status));
    }
    const operation = service.operations[operationName];
    const authorization = operationAuthorization(service.service, operationName);
    if (request.method !== 'POST' || !operation || !authorization) {
      return errorAnswer(
        new AdminError(
          'UnknownOperationException',
          `${operationName} of ${service.targetPrefix} is not supported by this server`,
        ),
      );
    }
    let caller: AdminCaller | undefined;
    try {
      // The store generation, read once: what is kept for the caller and the instance holds
      // while it stands still.
      const generation = await ctx.store.generation(request.receivedAt);
      caller = await loadAdminCaller(ctx, verified.principal, partition, generation);
      if (!caller) return errorAnswer(new AdminError('UnrecognizedClientException', INVALID_TOKEN, {}, 403));
      const input = readBody(request.body, operation);
      const facts: AdminRequestFacts = {
        region: (verified as Verified<RoleSessionClaims>).region,
        sourceIp: request.ip,
        secureTransport: request.secure,
      };
      const now = ctx.clock.now();
      const who = caller;
      const call: AdminCall = {
        deps,
        caller: who,
        input,
        instance: await readInstance(ctx, generation),
        requestId: request.id,
        ip: request.ip,
        now,
        authorize: (resources, extra = {}) =>
          authorizeAdmin(who, { now, ...extra, operation: authorization, resources, facts }),
        ...paging(service, operationName),
      };
      return { status: 200, body: JSON.stringify(await operation.run(call)) };
    } catch (err) {
      if (err instanceof AdminError) return errorAnswer(err);
      if (err instanceof SerializationProblem) {
        return errorAnswer(new AdminError('SerializationException', err.message));
      }
      if (err instanceof ValidationProblem) {
        const type = service.service === 'organizations' ? 'InvalidInputException' : 'ValidationException';
        return errorAnswer(new AdminError(type, err.message));
      }
      if (isDomainError(err)) {
        const answer = adminErrorOf(service.service, err);
        if (answer.status >= 500) request.log.error({ err }, `${operationName} failed`);
        if (err.code === 'access_denied' && caller)
          await auditDenial(request, caller, authorization.action, err.message);
        return errorAnswer(answer);
      }
      request.log.error({ err }, `${operationName} failed`);
      const type = service.service === 'organizations' ? 'ServiceException' : 'InternalServerException';
      return errorAnswer(new AdminError(type, INTERNAL_MESSAGE, {}, 500));
    }
  };

  return (request, service, operationName) =>
    run(request, service, operationName).catch((err: unknown) => {
      // Should anything above throw (the signature failure's audit, say), the generic error.
      request.log.error({ err }, `${operationName} failed`);
      const type = service.service === 'organizations' ? 'ServiceException' : 'InternalServerException';
      return errorAnswer(new AdminError(type, INTERNAL_MESSAGE, {}, 500));
    });
}

/** The body as the operation's input: JSON text (empty means `{}`), then the model's checks. */
function readBody(body: Buffer, operation: AdminOperation): Record<string, unknown> {
  let value: unknown = {};
  if (body.length > 0) {
    const text = decodeUtf8(body);
    if (text === undefined) throw new SerializationProblem('The request body is not UTF-8 text');
    try {
      value = JSON.parse(text);
    } catch {
      throw new SerializationProblem('The request body is not JSON');
    }
  }
  return readInput<Record<string, unknown>>(operation.input, value);
}
