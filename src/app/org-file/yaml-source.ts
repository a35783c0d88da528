/**
 * Reading the organization file's YAML into plain values while keeping where each value came
 * from, so every problem can name its path (`users[2].email`) and its line.
 *
 * Two YAML traps are handled here rather than left to surprise people:
 * - an unquoted 12-digit number (`id: 011111111111`) is read as the digits as written, because
 *   account ids are strings and YAML would drop the leading zero;
 * - aliases are followed with a budget, so an alias bomb is a problem, not an outage.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export type PathSegment = string | number;

export interface FileProblem {
  path: PathSegment[];
  /** 1-based line in the file, when known. */
  line?: number | undefined;
  message: string;
}

export interface YamlSource {
  /** The document as plain values (objects have only own, enumerable properties). */
  value: unknown;
  /** YAML syntax problems; when there are any, `value` must not be trusted. */
  problems: FileProblem[];
  /** The line of the value at `path` (or of its nearest ancestor present in the file). */
  lineOf(path: PathSegment[]): number | undefined;
}

const MAX_DEPTH = 64;
/** Nodes that alias expansion may add beyond the file's own; generous for real files. */
const MAX_ALIAS_EXPANSION = 100_000;

class Budget {
  expanded = 0;
  exceeded = false;
}

/**
 * Parse YAML text. Never throws for bad input: problems come back in `problems`.
 *
 * @example readYaml('users:\n  - userName: alice\n').value // { users: [ { userName: 'alice' } ] }
 */
export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const problems: FileProblem[] = [];
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (err) {
    return {
      value: undefined,
      problems: [{ path: [], message: `the file could not be read as YAML: ${(err as Error).message}` }],
      lineOf: () => undefined,
    };
  }
  const seen = new Set<string>();
  for (const e of [...doc.errors, ...doc.warnings]) {
    const message =
      e.code === 'MULTIPLE_DOCS'
        ? 'YAML: the file must hold one document, but a second one starts here'
        : `YAML: ${firstLine(e.message)}`;
    const line = lineAt(e.pos[0]);
    if (seen.has(`${line}|${message}`)) continue;
    seen.add(`${line}|${message}`);
    problems.push({ path: [], line, message });
  }
  if (problems.length > 0) return { value: undefined, problems, lineOf: () => undefined };

  const budget = new Budget();
  const value = toPlain(doc.contents as Node | null, [], 0, false);
  if (budget.exceeded) {
    problems.push({
      path: [],
      message: `aliases expand to more than ${MAX_ALIAS_EXPANSION} values; write the values out instead`,
    });
  }

  function toPlain(node: Node | null, path: PathSegment[], depth: number, inAlias: boolean): unknown {
    if (node === null || node === undefined) return null;
    if (budget.exceeded) return null;
    if (inAlias && ++budget.expanded > MAX_ALIAS_EXPANSION) {
      budget.exceeded = true;
      return null;
    }
    if (depth > MAX_DEPTH) {
      problems.push({
        path,
        line: lineAt(node.range?.[0]),
        message: `nested more than ${MAX_DEPTH} levels deep`,
      });
      return null;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      if (!target) {
        problems.push({ path, line: lineAt(node.range?.[0]), message: `unknown alias *${node.source}` });
        return null;
      }
      return toPlain(target, path, depth + 1, true);
    }
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'number' && node.type === 'PLAIN' && /^\d{12}$/.test(node.source ?? '')) {
        return node.source;
      }
      if (typeof v === 'bigint') return Number(v);
      return v;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => toPlain(item as Node | null, [...path, i], depth + 1, inAlias));
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        let key: string;
        if (isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object') {
          key =
            typeof keyNode.source === 'string' && keyNode.type === 'PLAIN'
              ? keyNode.source
              : String(keyNode.value);
        } else {
          problems.push({
            path,
            line: lineAt(keyNode?.range?.[0] ?? node.range?.[0]),
            message: 'keys must be plain text',
          });
          continue;
        }
        // defineProperty: a key named __proto__ stays an ordinary (and unknown) key.
        Object.defineProperty(out, key, {
          value: toPlain(pair.value as Node | null, [...path, key], depth + 1, inAlias),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    problems.push({ path, message: 'unsupported YAML value' });
    return null;
  }

  function lineOf(path: PathSegment[]): number | undefined {
    let node = doc.contents as Node | null;
    let line = lineAt(node?.range?.[0]);
    for (const seg of path) {
      while (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
      if (isMap(node)) {
        const pair = node.items.find((p) => {
          const k = p.key as Node | null;
          return isScalar(k) && (k.source === String(seg) || String(k.value) === String(seg));
        });
        if (!pair) return line;
        line = lineAt((pair.key as Node | null)?.range?.[0]) ?? line;
        node = pair.value as Node | null;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | null | undefined;
        if (!item) return line;
        line = lineAt(item.range?.[0]) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  }

  return { value, problems, lineOf };
}

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return (nl === -1 ? message : message.slice(0, nl)).replace(/ at line \d+, column \d+:?$/, '');
}
