/**
 * Reading the organization file's YAML into plain values while keeping where each value came
 * from, so every problem can name its path (`users[2].email`) and its line.
 *
 * Two YAML traps are handled here rather than left to surprise people:
 * - an unquoted 12-digit number (`id: 011111111111`) is read as the digits as written, because
 *   account ids are strings and YAML would drop the leading zero;
 * - aliases are followed with a budget, so an alias bomb is a problem, not an outage.
 *
 * Aliases cost linear time: anchors are remembered as the walk meets them in document order, and
 * each alias is looked up there once. (`Alias.resolve` of `yaml` walks the whole document for
 * every alias: 8,000 aliases took minutes.)
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
export const MAX_ALIAS_EXPANSION = 100_000;

class Budget {
  expanded = 0;
  /** The alias whose expansion went over the budget, once one did. */
  exceededAt: Node | undefined;
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
  /** The node each anchor names at the point the walk has reached (the last one so far wins). */
  const anchors = new Map<string, Node>();
  /** The node each alias stands for, fixed where the alias stands in the file. */
  const aliasTargets = new Map<Node, Node>();
  let expanding: Node | undefined;
  const value = toPlain(doc.contents as Node | null, [], 0, false);
  if (budget.exceededAt) {
    const at = budget.exceededAt;
    const pos = at.range ? lineCounter.linePos(at.range[0]) : undefined;
    problems.push({
      path: [],
      line: pos?.line,
      message:
        `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} values (the limit)` +
        `${pos && isAlias(at) ? `; the alias *${at.source} at column ${pos.col} went over it` : ''}; write the values out instead`,
    });
  }

  /** Remember an anchor met in the file's own order (never while expanding an alias). */
  function noteAnchor(node: Node | null | undefined, inAlias: boolean): void {
    if (!inAlias && node?.anchor) anchors.set(node.anchor, node);
  }

  function toPlain(node: Node | null, path: PathSegment[], depth: number, inAlias: boolean): unknown {
    if (node === null || node === undefined) return null;
    if (budget.exceededAt) return null;
    if (inAlias && ++budget.expanded > MAX_ALIAS_EXPANSION) {
      budget.exceededAt = expanding;
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
      // An alias inside an expansion was resolved where it stands, when the walk passed it.
      let target = aliasTargets.get(node);
      if (!target && !inAlias) {
        target = anchors.get(node.source);
        if (target) aliasTargets.set(node, target);
      }
      if (!target) {
        problems.push({ path, line: lineAt(node.range?.[0]), message: `unknown alias *${node.source}` });
        return null;
      }
      const outer = expanding;
      if (!inAlias) expanding = node;
      const out = toPlain(target, path, depth + 1, true);
      expanding = outer;
      return out;
    }
    noteAnchor(node, inAlias);
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
        noteAnchor(keyNode, inAlias);
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
      while (isAlias(node)) node = aliasTargets.get(node) ?? null;
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
