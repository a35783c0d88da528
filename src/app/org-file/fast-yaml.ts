/**
 * The fast path for reading an organization file: js-yaml parses a big file several times faster
 * than `yaml`, but keeps no node positions. A file that reads cleanly here and passes validation
 * needs no positions; anything else (a syntax error, a problem to report, a custom tag, aliases
 * that expand too far or into themselves) goes through `yaml-source.ts`, which keeps them.
 *
 * js-yaml hands every alias of a node the same object, so the document is a graph; it is copied
 * into a tree here, within the careful reader's expansion budget: what is accepted here would
 * be accepted there.
 *
 * Why two parsers: measured in one process (median of 3, on a busy 2-core machine, so the
 * ratios count more than the seconds), reading the apply benchmark's file (test/helpers/big-org.ts,
 * 50,000 users, 11.2 MB) and the 8,000-alias file (test/helpers/alias-org.ts, 0.4 MB):
 *
 *   |                                   | big-org | aliases |
 *   |-----------------------------------|---------|---------|
 *   | parseOrgFile (this fast path)     | 20.3 s  | 0.45 s  |
 *   | js-yaml here (readYamlFast)       |  8.9 s  | 0.63 s  |
 *   | `yaml` with positions (readYaml)  | 80.7 s  | 3.7 s   |
 *   | `yaml` parse() to plain values    | 55.3 s  | 4.5 s   |
 *
 * `yaml` alone would make a clean big file about 4.5 times slower to read (and the alias file
 * about 8 times); js-yaml alone has no positions for the lines
 * every problem names. So both stay: js-yaml for clean files, `yaml` for the ones with problems.
 *
 * The schema is YAML 1.2 core, except that an unquoted 12-digit number stays the digits as
 * written (account ids keep their leading zeros), as in `yaml-source.ts`.
 */
import {
  boolCoreTag,
  defineScalarTag,
  floatCoreTag,
  intCoreTag,
  load,
  mapTag,
  NOT_RESOLVED,
  nullCoreTag,
  Schema,
  seqTag,
  strTag,
} from 'js-yaml';
import { MAX_ALIAS_EXPANSION } from './yaml-source.ts';

const twelveDigits = defineScalarTag('tag:idcenter,2026:twelve-digits', {
  implicit: true,
  implicitFirstChars: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  resolve: (source, isExplicit) => (!isExplicit && /^\d{12}$/.test(source) ? source : NOT_RESOLVED),
  identify: () => false,
});

const SCHEMA = new Schema([
  strTag,
  seqTag,
  mapTag,
  nullCoreTag,
  boolCoreTag,
  twelveDigits,
  intCoreTag,
  floatCoreTag,
]);

/**
 * The document as plain values, or undefined when the careful reader must look at it.
 *
 * @example readYamlFast('accounts: []\n') // { accounts: [] }
 */
export function readYamlFast(text: string): { value: unknown } | undefined {
  let graph: unknown;
  try {
    graph = load(text, { schema: SCHEMA, maxAliases: MAX_FAST_ALIASES, maxDepth: MAX_DEPTH });
  } catch {
    return undefined;
  }
  return expandAliases(graph);
}

const MAX_DEPTH = 64;
/**
 * Aliases taken here. An alias of a scalar comes back as the value itself, which the copy cannot
 * tell from one written out, so each alias is counted as one expanded value up front and objects
 * met again may add the rest of the budget.
 */
const MAX_FAST_ALIASES = 20_000;

/**
 * The graph as a tree: an object met a second time (an alias of it) is copied again, its values
 * counted against the budget. Undefined for a cycle, a tree deeper than the careful reader
 * allows, or a spent budget: the careful reader then says which.
 */
function expandAliases(graph: unknown): { value: unknown } | undefined {
  const seen = new Set<object>();
  const open = new Set<object>();
  let budget = MAX_ALIAS_EXPANSION - MAX_FAST_ALIASES;
  const GIVE_UP = Symbol('give up');

  function copy(v: unknown, depth: number, again: boolean): unknown {
    if (again && --budget < 0) throw GIVE_UP;
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_DEPTH || open.has(v)) throw GIVE_UP;
    const repeat = again || seen.has(v);
    seen.add(v);
    open.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((item) => copy(item, depth + 1, repeat));
    } else {
      const o: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        // defineProperty: a key named __proto__ stays an ordinary (and unknown) key.
        Object.defineProperty(o, key, {
          value: copy(item, depth + 1, repeat),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      out = o;
    }
    open.delete(v);
    return out;
  }

  try {
    return { value: copy(graph, 0, false) };
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
