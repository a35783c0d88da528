/**
 * JSON text exactly as Python's `json.dumps` writes it (ensure_ascii), because botocore and the
 * AWS CLI hash that text for cache file names and write their cache files with it.
 */

export type PyJson = string | number | boolean | null | PyJson[] | { [k: string]: PyJson | undefined };

export interface PyDumpsOptions {
  sortKeys?: boolean;
  /** `(',', ':')` instead of the default `(', ', ': ')`. */
  compact?: boolean;
}

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function pyDumps(value: PyJson, options: PyDumpsOptions = {}): string {
  const itemSep = options.compact ? ',' : ', ';
  const keySep = options.compact ? ':' : ': ';
  const enc = (v: PyJson): string => {
    if (v === null) return 'null';
    if (typeof v === 'string') return pyString(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error('not a finite number');
      return String(v);
    }
    if (Array.isArray(v)) return `[${v.map(enc).join(itemSep)}]`;
    let keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (options.sortKeys) keys = keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${pyString(k)}${keySep}${enc(v[k] as PyJson)}`).join(itemSep)}}`;
  };
  return enc(value);
}
