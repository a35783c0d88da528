/**
 * Each protocol's error catalog against the AWS service model botocore ships (read at run time,
 * `helpers/service-model.ts`): for every operation we implement, every error code the catalog
 * can produce must be one the model lists for that operation, with the model's HTTP status, or
 * one of the few errors AWS sends for every operation without modelling them, listed here with
 * the reason. Also: every catalog answers every domain error code, and no 5xx quotes a message.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from '../../src/domain/errors.ts';
import { SIGV4_ERROR_STATUS } from '../../src/protocol/sigv4/failure.ts';
import { OIDC_ERRORS } from '../../src/protocol/sso-oidc/errors.ts';
import { PORTAL_CATALOGS, portalError } from '../../src/protocol/sso-portal/errors.ts';
import { STS_ERRORS, STS_REQUEST_ERRORS } from '../../src/protocol/sts/errors.ts';
import { publicMessage, type WireError } from '../../src/protocol/wire-error.ts';
import { loadServiceModel, operationErrors, type ServiceModel } from '../helpers/service-model.ts';

interface Unmodeled {
  status: number;
  why: string;
}

/** Errors the portal API sends that the SSO model does not list. */
const PORTAL_UNMODELED: Record<string, Unmodeled> = {
  ForbiddenException: {
    status: 403,
    why: 'AWS answers GetRoleCredentials for a role the user may not use with 403 ForbiddenException "No access"; the model does not list it, clients show it by its code',
  },
  ServiceUnavailableException: {
    status: 503,
    why: 'AWS STS failed or did not answer for a federated account: a 5xx so SDKs retry, the message names the endpoint and what to check',
  },
  InternalServerException: {
    status: 500,
    why: 'the generic server failure of restJson1 services; every SDK treats a 5xx as a retryable service error whatever its code',
  },
};

/**
 * The STS operations we implement (GetCallerIdentity, GetAccessKeyInfo) list no errors in the
 * model: everything they answer is one of the errors AWS documents as common to all STS actions
 * (the STS API reference, "Common Errors", and the SigV4 errors of AWS query APIs).
 */
const STS_COMMON: Record<string, Unmodeled> = {
  InternalFailure: {
    status: 500,
    why: 'common error: the request failed for an unknown reason on the server',
  },
  InvalidAction: { status: 400, why: 'common error: the action or operation is unknown' },
  MissingAction: { status: 400, why: 'common error: the request has no Action parameter' },
  MissingParameter: { status: 400, why: 'common error: a required parameter is missing' },
  InvalidParameterValue: { status: 400, why: 'common error: a parameter value is not valid' },
  ValidationError: { status: 400, why: 'common error: the input fails the constraints of the service' },
  MissingAuthenticationToken: {
    status: 403,
    why: 'common error: the request carries no signature or access key',
  },
  IncompleteSignature: { status: 400, why: 'common error: the signature does not conform to AWS standards' },
  SignatureDoesNotMatch: {
    status: 403,
    why: 'SigV4: the signature does not match (any signed AWS query API)',
  },
  InvalidClientTokenId: { status: 403, why: 'common error: the access key id or security token is not ours' },
  ExpiredToken: { status: 400, why: 'STS answers an expired session token with ExpiredToken, on any action' },
  AccessDenied: {
    status: 403,
    why: 'STS answers a call its caller may not make with AccessDenied, on any action',
  },
  Throttling: { status: 400, why: 'STS throttles any action with 400 Throttling "Rate exceeded"' },
  MalformedInput: { status: 400, why: 'the front end refuses a body it cannot read, before any action' },
  RequestEntityTooLarge: {
    status: 413,
    why: 'the front end refuses a body over its size limit, before any action',
  },
};

function assertComplete(name: string, catalog: Record<DomainErrorCode, unknown>) {
  assert.deepEqual(Object.keys(catalog).sort(), [...DOMAIN_ERROR_CODES].sort(), `${name} lists every code`);
}

/** Each wire error against what the model lists for the operation, or the documented extras. */
function assertModeled(
  where: string,
  wires: Iterable<WireError>,
  modeled: Map<string, number | undefined>,
  extras: Record<string, Unmodeled>,
) {
  for (const w of wires) {
    if (modeled.has(w.code)) {
      const status = modeled.get(w.code);
      if (status !== undefined)
        assert.equal(w.status, status, `${where}: ${w.code} is ${status} in the model`);
      continue;
    }
    const extra = extras[w.code];
    assert.ok(extra, `${where}: ${w.code} is neither in the model's errors nor documented as unmodeled`);
    assert.equal(w.status, extra.status, `${where}: ${w.code} is ${extra.status} (${extra.why})`);
  }
}

/**
 * A 5xx never passes on the domain error's message, except the one answer for a failed upstream
 * (AWS STS for a federated account), whose messages are written for the person.
 */
function assertFixed5xx(where: string, wires: Iterable<WireError>) {
  for (const w of wires) {
    if (w.status < 500 || w.upstream) continue;
    assert.equal(typeof w.message, 'string', `${where}: ${w.code} has a fixed message`);
    const secret = new DomainError('internal', 'connection to 10.0.0.7:5432 refused', { detail: 'x' });
    assert.doesNotMatch(publicMessage(w, secret), /10\.0\.0\.7/);
  }
}

describe('error catalogs against the AWS service models', () => {
  let sso: ServiceModel;
  let oidc: ServiceModel;
  let sts: ServiceModel;
  before(async () => {
    sso = await loadServiceModel('sso');
    oidc = await loadServiceModel('sso-oidc');
    sts = await loadServiceModel('sts');
  });

  it('SSO portal API: each operation answers every domain error with an error the model lists for it', () => {
    assert.equal(sso.metadata.protocol, 'rest-json');
    for (const [operation, catalog] of Object.entries(PORTAL_CATALOGS)) {
      assertComplete(operation, catalog);
      const wires = Object.values(catalog);
      assertModeled(`sso ${operation}`, wires, operationErrors(sso, operation), PORTAL_UNMODELED);
      assertFixed5xx(`sso ${operation}`, wires);
    }
    // Framework refusals (a body too large, an unreadable request) leave as a domain error too.
    const quiet = { error() {}, warn() {} };
    const tooLarge = portalError(Object.assign(new Error('x'), { statusCode: 413 }), quiet, 'Logout');
    assert.deepEqual(tooLarge, {
      status: 400,
      type: 'InvalidRequestException',
      message: 'The request is too large',
    });
    const broken = portalError(new TypeError('cannot read properties of undefined'), quiet, 'ListAccounts');
    assert.deepEqual(broken, {
      status: 500,
      type: 'InternalServerException',
      message: 'An internal error occurred',
    });
  });

  it('STS: every code it can answer is a common error of every STS action, with its status', () => {
    assert.equal(sts.metadata.protocol, 'query');
    assertComplete('STS', STS_ERRORS);
    const wires: WireError[] = [
      ...Object.values(STS_ERRORS),
      ...Object.values(STS_REQUEST_ERRORS),
      ...Object.entries(SIGV4_ERROR_STATUS).map(([code, status]) => ({ status, code })),
    ];
    for (const operation of ['GetCallerIdentity', 'GetAccessKeyInfo']) {
      assertModeled(`sts ${operation}`, wires, operationErrors(sts, operation), STS_COMMON);
    }
    assertFixed5xx('STS', wires);
  });

  it('SSO OIDC: every exception is one of the service model errors, with its status', () => {
    assert.equal(oidc.metadata.protocol, 'rest-json');
    assertComplete('SSO OIDC', OIDC_ERRORS);
    // One table serves the three operations; each exception must be modeled for one of them.
    const modeled = new Map<string, number | undefined>();
    for (const operation of ['CreateToken', 'RegisterClient', 'StartDeviceAuthorization']) {
      for (const [code, status] of operationErrors(oidc, operation)) modeled.set(code, status);
    }
    const wires = Object.values(OIDC_ERRORS).map((e) => ({ status: e.status, code: e.exception }));
    assertModeled('sso-oidc', wires, modeled, {});
  });

  it('a domain error’s private detail and a 5xx’s internal text never reach the caller', () => {
    const logged: unknown[] = [];
    const log = { error: (o: unknown) => logged.push(o), warn: (o: unknown) => logged.push(o) };
    const refused = portalError(
      new DomainError('locked_out', 'Too many failed sign-ins; try again later', {
        detail: '5 failures from 192.0.2.9',
      }),
      log,
      'GetRoleCredentials',
    );
    assert.deepEqual(refused, {
      status: 401,
      type: 'UnauthorizedException',
      message: 'Too many failed sign-ins; try again later',
    });
    assert.match(JSON.stringify(logged), /5 failures from 192\.0\.2\.9/, 'the detail is logged');
    const failed = portalError(new DomainError('internal', 'disk /var/lib full'), log, 'Logout');
    assert.equal(failed.message, 'An internal error occurred');
  });
});
