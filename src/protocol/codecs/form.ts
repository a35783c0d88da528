/**
 * `application/x-www-form-urlencoded` text — HTML form bodies, query strings, awsQuery
 * parameters — decoded strictly: `+` is a space, `%XX` a byte, and the bytes of every name and
 * value must be UTF-8 text without control characters (`domain/wire-text.ts`). URLSearchParams
 * and decodeURIComponent would instead turn bytes that are not UTF-8 into U+FFFD and let NUL
 * through, so a value could reach the store changed, or not at all (PostgreSQL refuses NUL).
 * A `%` not followed by two hex digits stays as typed, as URLSearchParams keeps it.
 */
import { decodeUtf8, faultMessage, plainName, type TextFault, textFault } from '../../domain/wire-text.ts';

/** The name/value pairs in order, names repeated as they came. */
export type FormPairs = Array<[string, string]>;

/** Which field broke the rule: its name when that is plain enough to show (`plainName`). */
export interface FormFault {
  fault: TextFault;
  name: string | undefined;
}

export type FormDecoding = { ok: true; pairs: FormPairs } | { ok: false; fault: FormFault };

const PLUS = 0x2b;
const PERCENT = 0x25;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** One name or value, bytes `start`..`end` of `bytes`; undefined when it is not UTF-8. */
function decodeComponent(bytes: Buffer, start: number, end: number): string | undefined {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === PERCENT || b === PLUS || b >= 0x80) {
      plain = false;
      break;
    }
  }
  // Most names and values (actions, ids, codes) are plain ASCII: one slice, no copy.
  if (plain) return bytes.toString('latin1', start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === PLUS) {
      out[n++] = 0x20;
      continue;
    }
    if (b === PERCENT) {
      const hi = hexValue(bytes[i + 1]);
      const lo = hexValue(bytes[i + 2]);
      if (hi >= 0 && lo >= 0 && i + 2 < end) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return decodeUtf8(out.subarray(0, n));
}

/** No field may hold line breaks or tabs. */
const SINGLE_LINE: ReadonlySet<string> = new Set();

/**
 * Decode a form body (bytes) or a query string (text without the `?`). Empty pairs (`a=1&&b=2`)
 * are skipped; a pair without `=` is a name with an empty value. The values of the fields
 * named in `multiline` (a page's textareas) may hold tab, line feed and carriage return too.
 *
 * @example decodeForm('a=1&b=x+y') // { ok: true, pairs: [['a', '1'], ['b', 'x y']] }
 * @example decodeForm('a=%00') // { ok: false, fault: { fault: 'control', name: 'a' } }
 */
export function decodeForm(
  input: Buffer | string,
  multiline: ReadonlySet<string> = SINGLE_LINE,
): FormDecoding {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const pairs: FormPairs = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(AMPERSAND, start);
    if (end === -1) end = bytes.length;
    if (end > start) {
      let eq = bytes.indexOf(EQUALS, start);
      if (eq === -1 || eq > end) eq = end;
      const name = decodeComponent(bytes, start, eq);
      const value = eq === end ? '' : decodeComponent(bytes, eq + 1, end);
      const shown = name === undefined ? undefined : plainName(name);
      if (name === undefined || value === undefined) {
        return { ok: false, fault: { fault: 'encoding', name: shown } };
      }
      const fault =
        textFault(name) ?? textFault(multiline.has(name) ? value.replace(/[\t\n\r]/g, ' ') : value);
      if (fault) return { ok: false, fault: { fault, name: shown } };
      pairs.push([name, value]);
    }
    start = end + 1;
  }
  return { ok: true, pairs };
}

/**
 * The fault of a request target's query string (after `?`), or undefined when every parameter
 * is clean text (or there is none).
 */
export function queryFault(url: string): FormFault | undefined {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return undefined;
  const decoded = decodeForm(url.slice(q + 1));
  return decoded.ok ? undefined : decoded.fault;
}

/**
 * Why a field was refused, naming it when its name is plain (`kind`: "parameter", "form
 * field"…); the value is never quoted.
 *
 * @example formFaultMessage({ fault: 'control', name: 'account_id' }, 'parameter') // "Parameter account_id must not contain control characters"
 */
export function formFaultMessage(f: FormFault, kind: string): string {
  const what = f.name === undefined ? `A ${kind}` : `${kind[0]?.toUpperCase()}${kind.slice(1)} ${f.name}`;
  return faultMessage(what, f.fault);
}
