/**
 * The shared AWS config file (`~/.aws/config`) as a document that round-trips: comments, blank
 * lines, order and spelling survive every edit, and only the lines we change are rewritten.
 *
 * Reading follows what botocore does (Python's `RawConfigParser`, strict mode, then
 * `build_profile_map`): `key = value` or `key: value`, keys lower-cased, indented lines continue
 * the previous value, a value that starts on the next line is a nested block (`[services]`), full
 * line comments start with `#` or `;`. Anything botocore would refuse (a line that is neither a
 * section nor an option, a key before any section, a duplicate section or key) is refused here
 * too, naming the line, so we never write a file the AWS tools cannot read.
 *
 * Writing follows the AWS CLI's `ConfigFileWriter`: existing keys are replaced in place, new keys
 * go after the last option of their section, new sections are appended at the end of the file,
 * nested values are indented by four spaces.
 */

export class ConfigParseError extends Error {
  readonly path: string;
  /** 1-based line number. */
  readonly line: number;
  constructor(path: string, line: number, problem: string) {
    super(`${path}, line ${line}: ${problem}`);
    this.name = 'ConfigParseError';
    this.path = path;
    this.line = line;
  }
}

export type SectionKind = 'default' | 'profile' | 'sso-session' | 'services' | 'other';

export interface SectionId {
  kind: SectionKind;
  /** Profile, session or services name; the raw header for `other`. */
  name: string;
}

/** A value: a plain string, or the key/value pairs of an indented nested block. */
export type ConfigValue = string | Readonly<Record<string, string>>;

export interface Entry {
  /** Lower-cased key. */
  key: string;
  value: ConfigValue;
  /** Index in the block's lines of the key line, and one past its last continuation line. */
  start: number;
  end: number;
}

interface Block {
  /** Raw header text between the brackets; null for the lines before the first section. */
  header: string | null;
  id: SectionId | null;
  /** Lines without terminators; for a section, lines[0] is the header line. */
  lines: string[];
}

const SECTION_RE = /^\[(?<header>.+)\]/;
const OPTION_RE = /^(?<option>.*?)\s*(?<vi>[=:])\s*(?<value>.*)$/;

/** Python's `str.strip()` whitespace: JS whitespace plus the separators \x1c-\x1f and \x85. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's strip() removes these separators too.
const PY_SPACE = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;
function pyStrip(s: string): string {
  return s.replace(PY_SPACE, '');
}

function indentOf(line: string): number {
  const m = /\S/.exec(line);
  return m ? m.index : 0;
}

function isCommentOrBlank(stripped: string): boolean {
  return stripped === '' || stripped.startsWith('#') || stripped.startsWith(';');
}

/** Split like Python's `shlex.split` (POSIX mode) for section headers; undefined if unbalanced. */
export function shlexSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) return undefined;
      cur += s.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i] as string;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < s.length && '\\"$`\n'.includes(s[i + 1] as string)) {
          cur += s[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      if (!closed) return undefined;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= s.length) return undefined;
      cur += s[i + 1];
      inWord = true;
      i += 2;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** How botocore's `build_profile_map` classifies a section header. */
export function classifyHeader(header: string): SectionId {
  if (header === 'default') return { kind: 'default', name: 'default' };
  for (const kind of ['profile', 'sso-session', 'services'] as const) {
    if (header.startsWith(kind)) {
      const parts = shlexSplit(header);
      if (parts && parts.length === 2) {
        // `[profile default]` is the default profile too.
        if (kind === 'profile' && parts[1] === 'default') return { kind: 'default', name: 'default' };
        return { kind, name: parts[1] as string };
      }
      return { kind: 'other', name: header };
    }
  }
  return { kind: 'other', name: header };
}

function idKey(id: SectionId): string {
  return `${id.kind}\u0000${id.name}`;
}

/** The header the AWS CLI writes for a section: names with whitespace are quoted. */
export function headerFor(id: SectionId): string {
  if (id.kind === 'default') return 'default';
  if (id.kind === 'other') return id.name;
  return `${id.kind} ${/\s/.test(id.name) ? shellQuote(id.name) : id.name}`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

function assertNoNewline(s: string, what: string): void {
  if (/[\r\n]/.test(s)) throw new Error(`${what} must not contain a line break`);
}

/** Parse the entries of one section (lines[0] is the header) the way RawConfigParser does. */
function parseEntries(lines: readonly string[], from: number): Entry[] {
  const entries: Entry[] = [];
  let current: { key: string; parts: string[]; start: number; end: number } | undefined;
  let indentLevel = indentOf(lines[0] ?? '');
  const flush = () => {
    if (!current) return;
    const joined = current.parts.join('\n').replace(/\s+$/, '');
    let value: ConfigValue = joined;
    if (joined.startsWith('\n')) value = parseNested(joined);
    entries.push({ key: current.key, value, start: current.start, end: current.end });
    current = undefined;
  };
  for (let i = from; i < lines.length; i++) {
    const line = lines[i] as string;
    const stripped = pyStrip(line);
    if (isCommentOrBlank(stripped)) {
      if (stripped === '' && current) current.parts.push('');
      continue;
    }
    const indent = indentOf(line);
    if (current && indent > indentLevel) {
      current.parts.push(stripped);
      current.end = i + 1;
      continue;
    }
    indentLevel = indent;
    const m = OPTION_RE.exec(stripped);
    if (!m?.groups) continue; // rejected by validate()
    flush();
    current = {
      key: pyStrip(m.groups.option as string).toLowerCase(),
      parts: [pyStrip(m.groups.value as string)],
      start: i,
      end: i + 1,
    };
  }
  flush();
  return entries;
}

function parseNested(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of value.split('\n')) {
    const line = pyStrip(raw);
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue; // rejected by validate()
    out[pyStrip(line.slice(0, eq))] = pyStrip(line.slice(eq + 1));
  }
  return out;
}

export class ConfigFile {
  readonly path: string;
  private readonly blocks: Block[];
  private readonly index = new Map<string, Block>();
  private readonly eol: string;
  private finalNewline: boolean;

  private constructor(path: string, blocks: Block[], eol: string, finalNewline: boolean) {
    this.path = path;
    this.blocks = blocks;
    this.eol = eol;
    this.finalNewline = finalNewline;
    for (const b of blocks) if (b.id) this.index.set(idKey(b.id), b);
  }

  static empty(path: string): ConfigFile {
    return new ConfigFile(path, [{ header: null, id: null, lines: [] }], '\n', true);
  }

  /**
   * Parse a config file's text. Throws ConfigParseError naming the first line botocore would
   * refuse.
   */
  static parse(text: string, path: string): ConfigFile {
    if (text.charCodeAt(0) === 0xfeff) {
      throw new ConfigParseError(
        path,
        1,
        'the file starts with a byte-order mark, which the AWS CLI cannot read; save it as UTF-8 without BOM',
      );
    }
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const finalNewline = text.length === 0 || text.endsWith('\n');
    const body = finalNewline && text.length > 0 ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
    const lines = text.length === 0 ? [] : body.split(/\r?\n/);
    const blocks: Block[] = [{ header: null, id: null, lines: [] }];
    const seenSections = new Set<string>();
    const seenOptions = new Set<string>();
    let inSection = false;
    let hasOption = false;
    let indentLevel = 0;
    let nestedStart = -1;
    const checkNested = (upTo: number) => {
      // A value that starts on the next line must be `key = value` lines (botocore _parse_nested).
      if (nestedStart < 0) return;
      for (let j = nestedStart; j < upTo; j++) {
        const s = pyStrip(lines[j] as string);
        if (isCommentOrBlank(s)) continue;
        if (!s.includes('=')) {
          throw new ConfigParseError(
            path,
            j + 1,
            `expected "key = value" inside a nested block, found "${s}"`,
          );
        }
      }
      nestedStart = -1;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const stripped = pyStrip(line);
      const block = blocks[blocks.length - 1] as Block;
      if (isCommentOrBlank(stripped)) {
        block.lines.push(line);
        continue;
      }
      const indent = indentOf(line);
      if (inSection && hasOption && indent > indentLevel) {
        block.lines.push(line);
        continue;
      }
      checkNested(i);
      indentLevel = indent;
      const sm = SECTION_RE.exec(stripped);
      if (sm?.groups) {
        const header = sm.groups.header as string;
        if (seenSections.has(header)) {
          throw new ConfigParseError(path, i + 1, `section [${header}] appears twice; merge the two`);
        }
        seenSections.add(header);
        const id = classifyHeader(header);
        blocks.push({ header, id, lines: [line] });
        inSection = true;
        hasOption = false;
        continue;
      }
      if (!inSection) {
        throw new ConfigParseError(
          path,
          i + 1,
          `"${stripped}" comes before any [section] header (write [default] or [profile NAME] above it)`,
        );
      }
      const om = OPTION_RE.exec(stripped);
      const option = om?.groups ? pyStrip(om.groups.option as string) : '';
      if (!om?.groups || option === '') {
        throw new ConfigParseError(
          path,
          i + 1,
          `expected "key = value" or a [section] header, found "${stripped}"`,
        );
      }
      const header = (block.header ?? '') as string;
      const optKey = `${header}\u0000${option.toLowerCase()}`;
      if (seenOptions.has(optKey)) {
        throw new ConfigParseError(path, i + 1, `"${option.toLowerCase()}" is set twice in [${header}]`);
      }
      seenOptions.add(optKey);
      hasOption = true;
      if (pyStrip(om.groups.value as string) === '') nestedStart = i + 1;
      block.lines.push(line);
    }
    checkNested(lines.length);
    return new ConfigFile(path, blocks, eol, finalNewline);
  }

  /** The text of the document. */
  toString(): string {
    const all: string[] = [];
    for (const b of this.blocks) for (const l of b.lines) all.push(l);
    if (all.length === 0) return '';
    return all.join(this.eol) + (this.finalNewline ? this.eol : '');
  }

  /** Every section in file order. */
  sections(): SectionId[] {
    const out: SectionId[] = [];
    for (const b of this.blocks) if (b.id) out.push(b.id);
    return out;
  }

  has(id: SectionId): boolean {
    return this.index.has(idKey(id));
  }

  /** Keys (lower-cased) and values of a section, or undefined when it does not exist. */
  get(id: SectionId): Record<string, ConfigValue> | undefined {
    const block = this.index.get(idKey(id));
    if (!block) return undefined;
    const out: Record<string, ConfigValue> = {};
    for (const e of parseEntries(block.lines, 1)) out[e.key] = e.value;
    return out;
  }

  /** Names of the sections of one kind, in file order. */
  names(kind: SectionKind): string[] {
    const out: string[] = [];
    for (const b of this.blocks) if (b.id?.kind === kind) out.push(b.id.name);
    return out;
  }

  /**
   * Set keys of a section, creating it at the end of the file when missing. Existing keys are
   * rewritten in place (`key = value`), new ones go after the section's last option; a nested
   * value updates or adds its sub-keys. `undefined` values are skipped.
   */
  set(id: SectionId, values: Record<string, ConfigValue | undefined>): void {
    const pending = new Map<string, ConfigValue>();
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      assertNoNewline(k, 'a key');
      if (typeof v === 'string') assertNoNewline(v, `the value of ${k}`);
      else for (const [sk, sv] of Object.entries(v)) assertNoNewline(`${sk}${sv}`, `the value of ${k}`);
      pending.set(k.toLowerCase(), v);
    }
    let block = this.index.get(idKey(id));
    if (!block) {
      const header = headerFor(id);
      assertNoNewline(header, 'a section name');
      block = { header, id, lines: [`[${header}]`] };
      // Like the AWS CLI: a new section starts on its own line and the file ends with a newline.
      this.finalNewline = true;
      this.blocks.push(block);
      this.index.set(idKey(id), block);
    }
    const lines = block.lines;
    const entries = parseEntries(lines, 1);
    // Walk from the end so that splices do not shift the entries still to visit.
    for (let n = entries.length - 1; n >= 0; n--) {
      const e = entries[n] as Entry;
      if (!pending.has(e.key)) continue;
      const v = pending.get(e.key) as ConfigValue;
      pending.delete(e.key);
      const keyText = pyStrip(
        (OPTION_RE.exec(pyStrip(lines[e.start] as string))?.groups?.option ?? e.key) as string,
      );
      const indent = ' '.repeat(indentOf(lines[e.start] as string));
      if (typeof v === 'string') {
        lines.splice(e.start, e.end - e.start, `${indent}${keyText} = ${v}`);
      } else if (typeof e.value === 'string') {
        lines.splice(e.start, e.end - e.start, ...nestedLines(`${indent}${keyText}`, v, `${indent}    `));
      } else {
        this.updateNested(lines, e, v);
      }
    }
    if (pending.size > 0) {
      const after = entries.length > 0 ? lastOptionLine(lines) + 1 : 1;
      const fresh: string[] = [];
      for (const [k, v] of pending) {
        if (typeof v === 'string') fresh.push(`${k} = ${v}`);
        else fresh.push(...nestedLines(k, v, '    '));
      }
      lines.splice(after, 0, ...fresh);
    }
  }

  /** Remove keys from a section (no-op for missing keys or section). */
  unset(id: SectionId, keys: readonly string[]): void {
    const block = this.index.get(idKey(id));
    if (!block) return;
    const wanted = new Set(keys.map((k) => k.toLowerCase()));
    const entries = parseEntries(block.lines, 1);
    for (let n = entries.length - 1; n >= 0; n--) {
      const e = entries[n] as Entry;
      if (wanted.has(e.key)) block.lines.splice(e.start, e.end - e.start);
    }
  }

  /**
   * Remove a whole section: its header, keys and the blank lines after them. Comments after its
   * last key stay (they usually introduce the next section).
   */
  remove(id: SectionId): boolean {
    const block = this.index.get(idKey(id));
    if (!block) return false;
    const at = this.blocks.indexOf(block);
    const kept = block.lines.slice(lastOptionLine(block.lines) + 1).filter((l) => pyStrip(l) !== '');
    this.blocks.splice(at, 1);
    (this.blocks[at - 1] as Block).lines.push(...kept);
    this.index.delete(idKey(id));
    return true;
  }

  private updateNested(lines: string[], e: Entry, values: Readonly<Record<string, string>>): void {
    const remaining = new Map(Object.entries(values));
    let subIndent = '    ';
    let lastSub = e.start;
    for (let j = e.start + 1; j < e.end; j++) {
      const s = pyStrip(lines[j] as string);
      if (isCommentOrBlank(s)) continue;
      const eq = s.indexOf('=');
      if (eq < 0) continue;
      const sk = pyStrip(s.slice(0, eq));
      subIndent = ' '.repeat(indentOf(lines[j] as string));
      lastSub = j;
      if (remaining.has(sk)) {
        lines[j] = `${subIndent}${sk} = ${remaining.get(sk)}`;
        remaining.delete(sk);
      }
    }
    const fresh = [...remaining].map(([k, v]) => `${subIndent}${k} = ${v}`);
    lines.splice(lastSub + 1, 0, ...fresh);
  }
}

function nestedLines(keyText: string, v: Readonly<Record<string, string>>, indent: string): string[] {
  return [`${keyText} =`, ...Object.entries(v).map(([k, x]) => `${indent}${k} = ${x}`)];
}

/** Index of the last option or continuation line of a section block (0 = header only). */
function lastOptionLine(lines: readonly string[]): number {
  for (let j = lines.length - 1; j > 0; j--) {
    if (!isCommentOrBlank(pyStrip(lines[j] as string))) return j;
  }
  return 0;
}

export const sectionId = {
  profile(name: string): SectionId {
    return name === 'default' ? { kind: 'default', name: 'default' } : { kind: 'profile', name };
  },
  session(name: string): SectionId {
    return { kind: 'sso-session', name };
  },
  services(name: string): SectionId {
    return { kind: 'services', name };
  },
};
