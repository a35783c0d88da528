/**
 * A small HTTP client for the three services the CLI calls (SSO OIDC, the portal API, STS):
 * node:http(s), keep-alive, a CA bundle for self-hosted TLS, AWS error codes read the way the
 * SDKs read them (docs/wire-protocols.md, "Error envelopes"), and a --debug trace with every secret
 * redacted.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { CliError } from '../errors.ts';
import type { ClientIO } from './io.ts';

export const EXIT_SERVICE = 254;
export const EXIT_OTHER = 255;

/** An error response from a service, with the AWS error code. */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly operation: string;
  readonly retryAfterMs: number | undefined;
  constructor(operation: string, code: string, status: number, message: string, retryAfterMs?: number) {
    super(
      `An error occurred (${code}) when calling the ${operation} operation${message ? `: ${message}` : ''}`,
    );
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
    this.operation = operation;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Operation name for errors and the trace. */
  operation: string;
  timeoutMs?: number;
}

/** Field names whose values never reach the trace. */
const SECRET_FIELDS =
  /^(clientSecret|accessToken|refreshToken|deviceCode|code|codeVerifier|secretAccessKey|sessionToken|SecretAccessKey|SessionToken|password|idToken)$/;
const SECRET_HEADERS = new Set([
  'x-amz-sso_bearer_token',
  'authorization',
  'x-amz-security-token',
  'cookie',
  'set-cookie',
]);

export function redactJson(text: string): string {
  try {
    const v = JSON.parse(text) as unknown;
    return JSON.stringify(v, (k, x) => {
      if (typeof x !== 'string') return x;
      if (SECRET_FIELDS.test(k)) return '<redacted>';
      // A URL value (a one-time console link) loses its secret query parameters as URLs do.
      return /^https?:\/\//.test(x) ? redactUrlText(x) : x;
    });
  } catch {
    // XML (STS) or form bodies: redact element and parameter values by name.
    return text
      .replace(/<(SecretAccessKey|SessionToken)>[^<]*<\/\1>/g, '<$1><redacted></$1>')
      .replace(/((?:^|&)(?:SecretAccessKey|SessionToken|Password)=)[^&]*/g, '$1<redacted>');
  }
}

function redactUrlText(url: string): string {
  try {
    return redactUrl(url);
  } catch {
    return url;
  }
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) {
    if (/token|secret|code|password/i.test(k)) u.searchParams.set(k, '<redacted>');
  }
  return u.toString();
}

function redactHeaders(h: Record<string, unknown>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}: ${SECRET_HEADERS.has(k.toLowerCase()) ? '<redacted>' : String(v)}`)
    .join('\n  ');
}

export class HttpClient {
  private readonly io: ClientIO;
  private readonly ca: Buffer | undefined;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent: https.Agent;
  readonly userAgent: string;

  constructor(io: ClientIO, options: { caBundle?: string | undefined; userAgent: string }) {
    this.io = io;
    this.userAgent = options.userAgent;
    if (options.caBundle) {
      try {
        this.ca = fs.readFileSync(options.caBundle);
      } catch (err) {
        throw new CliError(
          `cannot read the CA bundle ${options.caBundle}: ${(err as NodeJS.ErrnoException).code ?? err}`,
          253,
        );
      }
    }
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ...(this.ca ? { ca: this.ca } : {}),
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    if (!isHttps && url.protocol !== 'http:') {
      return Promise.reject(new CliError(`endpoint ${req.url} must be an http or https URL`, 253));
    }
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...req.headers,
    };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    if (this.io.debugEnabled) {
      this.io.debug(`> ${req.operation}: ${req.method} ${redactUrl(req.url)}\n  ${redactHeaders(headers)}`);
      if (req.body) this.io.debug(`> body ${redactJson(req.body)}`);
    }
    const mod = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const r = mod.request(
        url,
        {
          method: req.method,
          headers,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (this.io.debugEnabled) {
              this.io.debug(
                `< ${res.statusCode} ${req.operation}\n  ${redactHeaders(res.headers as Record<string, unknown>)}` +
                  (body ? `\n< body ${redactJson(body)}` : ''),
              );
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
        },
      );
      r.setTimeout(req.timeoutMs ?? 30_000, () => {
        r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      });
      r.on('error', (err: NodeJS.ErrnoException) => reject(networkError(req, err)));
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }
}

function networkError(req: HttpRequest, err: NodeJS.ErrnoException): CliError {
  const origin = new URL(req.url).origin;
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'timed out',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (set ca_bundle in the profile or AWS_CA_BUNDLE)',
    SELF_SIGNED_CERT_IN_CHAIN: 'certificate signed by an unknown CA (set ca_bundle or AWS_CA_BUNDLE)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate cannot be verified (set ca_bundle or AWS_CA_BUNDLE)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
  };
  const reason = why[err.code ?? ''] ?? err.message;
  return new CliError(
    `Could not connect to the endpoint URL ${origin} (${req.operation}): ${reason}. ` +
      'Check that the server is running and that the endpoint in your config or AWS_ENDPOINT_URL_* is right.',
    EXIT_OTHER,
  );
}

/** The AWS error code of a restJson1 error response (header, then body), normalised. */
export function errorCode(res: HttpResponse, body: Record<string, unknown> | undefined): string {
  const raw =
    (res.headers['x-amzn-errortype'] as string | undefined) ??
    (typeof body?.code === 'string' ? body.code : undefined) ??
    (typeof body?.Code === 'string' ? body.Code : undefined) ??
    (typeof body?.__type === 'string' ? body.__type : undefined) ??
    String(res.status);
  const beforeColon = raw.split(':')[0] as string;
  return beforeColon.slice(beforeColon.lastIndexOf('#') + 1);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Call a restJson1 operation; 2xx → parsed body, otherwise ServiceError. */
export async function restJson(client: HttpClient, req: HttpRequest): Promise<Record<string, unknown>> {
  const res = await client.request(req);
  const body = parseJsonObject(res.body);
  if (res.status >= 200 && res.status < 300) {
    if (res.body && !body) {
      throw new ServiceError(
        req.operation,
        'InvalidResponse',
        res.status,
        'the response is not a JSON object',
      );
    }
    return body ?? {};
  }
  const code = errorCode(res, body);
  const message =
    (typeof body?.message === 'string' && body.message) ||
    (typeof body?.Message === 'string' && body.Message) ||
    (typeof body?.error_description === 'string' && body.error_description) ||
    (typeof body?.error === 'string' && body.error) ||
    '';
  const retryAfter = Number(res.headers['retry-after']);
  throw new ServiceError(
    req.operation,
    code,
    res.status,
    message,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
  );
}

/**
 * Join an endpoint with an operation path the way botocore does (docs/wire-protocols.md,
 * "URL joining").
 */
export function joinUrl(endpoint: string, path: string, query?: Record<string, string | undefined>): string {
  const base = endpoint.replace(/\/+$/, '');
  const u = new URL(base + path);
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}
