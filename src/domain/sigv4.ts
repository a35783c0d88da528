/**
 * SigV4 building blocks: canonical request, string to sign, signing key and signature (AWS
 * "Create a canonical request for Signature Version 4"; vectors from the AWS signing test suite
 * in `test/vectors/sigv4`). Pure functions over a request as it travels: the path from the
 * request line, the raw query string, the raw header list (with duplicates, in order) and the
 * body bytes.
 *
 * The one canonicaliser of the project: the server's verifier (`protocol/sigv4/verify.ts`) checks
 * signatures with it and the CLI's signer (`cli/client/sigv4.ts`) makes them with it, so the two cannot
 * drift apart. The CLI installs without the server's modules, so this file imports only node:
 * built-ins and domain code, and keeps no state: what a server remembers between requests (the
 * derived signing keys) lives in an object the server owns (`protocol/sigv4/signing-keys.ts`).
 */
import { createHmac } from 'node:crypto';
import { sha256Hex } from './digest.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignableRequest {
  method: string;
  /** The path as on the request line, before any '?'. */
  path: string;
  /** The raw query string without '?', '' when none. */
  query: string;
  /** Raw header list as received: [name, value, name, value, …]. */
  rawHeaders: readonly string[];
  body: Buffer;
}

const HEX = '0123456789ABCDEF';

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  );
}

/** RFC 3986 percent-encoding of bytes: unreserved characters stay, everything else is %XX. */
function encodeBytes(bytes: Buffer, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (isUnreserved(b) || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** URI-encode a string's UTF-8 bytes (the SigV4 `UriEncode`). */
export function uriEncode(text: string, keepSlash = false): string {
  // Fast path: nothing to encode.
  if (/^[A-Za-z0-9\-._~]*$/.test(text)) return text;
  return encodeBytes(Buffer.from(text, 'utf8'), keepSlash);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Percent-decode to bytes, tolerating stray '%' (kept literally) so that no input throws;
 * '+' stays '+' (RFC 3986, as the SDK signers encode spaces as %20).
 */
export function percentDecode(text: string): Buffer {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] ?? 0;
    if (b === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1] ?? 0);
      const lo = hexValue(src[i + 2] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Remove dot segments and empty segments, keeping a trailing slash (the suite's "normalize"). */
export function normalizePath(path: string): string {
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const trailing = path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..');
  const joined = `/${segments.join('/')}`;
  return trailing && segments.length > 0 ? `${joined}/` : joined;
}

/**
 * Canonical URI: the path as received, normalised when `normalize` (every service but S3),
 * then URI-encoded once more — which is the "encode twice" rule, since a client sends the path
 * already encoded once.
 */
export function canonicalUri(path: string, normalize: boolean): string {
  // The path of every STS and portal call.
  if (path === '/' || path === '') return '/';
  const p = path;
  return uriEncode(normalize ? normalizePath(p) : p, true);
}

/**
 * Canonical query string: each parameter decoded and re-encoded, sorted by name then value.
 * `exclude` drops parameters by their decoded name (X-Amz-Signature for presigned URLs).
 */
export function canonicalQuery(query: string, exclude?: (name: string) => boolean): string {
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    const nameBytes = percentDecode(rawName);
    if (exclude?.(nameBytes.toString('utf8'))) continue;
    pairs.push([encodeBytes(nameBytes, false), encodeBytes(percentDecode(rawValue), false)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Header values by lower-case name, duplicates joined with ',' in arrival order. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1] ?? '');
    else map.set(name, [rawHeaders[i + 1] ?? '']);
  }
  return map;
}

function canonicalValue(value: string): string {
  const trimmed = value.trim();
  // Only a whitespace character other than a lone space changes under the collapse: most
  // values (dates, hosts, tokens) skip building a new string.
  return /[^\S ]| {2}/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
}

/**
 * Canonical headers for the signed header names; `missing` lists signed names that are not
 * present in the request.
 */
export function canonicalHeaders(
  headers: Map<string, string[]>,
  signedHeaders: readonly string[],
): { text: string; missing: string[] } {
  let text = '';
  const missing: string[] = [];
  for (const name of signedHeaders) {
    const values = headers.get(name);
    if (!values) {
      missing.push(name);
      text += `${name}:\n`;
      continue;
    }
    text += `${name}:${values.length === 1 ? canonicalValue(values[0] ?? '') : values.map(canonicalValue).join(',')}\n`;
  }
  return { text, missing };
}

export { sha256Hex };

export interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalParts): string {
  return `${p.method}\n${p.uri}\n${p.query}\n${p.headers}\n${p.signedHeaders.join(';')}\n${p.payloadHash}`;
}

export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/**
 * The derived signing key kDate→kRegion→kService→kSigning of a secret for one day, region and
 * service.
 */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** The signature of a string to sign: HMAC-SHA256 under the signing key, in hex. */
export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/** X-Amz-Date of an instant: ISO 8601 basic format, whole seconds, `20261128T120000Z`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** What a signature is made of and the signature itself, as a signer makes them and a verifier remakes them. */
export interface SigningArtifacts {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** The credential scope a request is signed for: day (`YYYYMMDD`), region and service. */
export interface SigningScope {
  date: string;
  region: string;
  service: string;
}

/** Sign the canonical form of a request made at `amzDate`, for `scope`, under its signing key. */
export function signCanonical(
  parts: CanonicalParts,
  amzDate: string,
  scope: SigningScope,
  signingKey: Buffer,
): SigningArtifacts {
  const creq = canonicalRequest(parts);
  const toSign = stringToSign(amzDate, credentialScope(scope.date, scope.region, scope.service), creq);
  return { canonicalRequest: creq, stringToSign: toSign, signature: signature(signingKey, toSign) };
}
