/**
 * The layering of `src/` (docs/architecture.md#layering) in two checks the linter cannot make:
 *
 * - No import cycles, between files or between the folders of `src/`. The graph is built from the import and export statements of every source
 *   file (type-only imports included: a type imported upward is a layer crossed all the same;
 *   dynamic `import()` is left out, it loads on demand and is how a command is found).
 * - `web/`, `protocol/` and `cli/` never reach the store's query builder (`.store.db`): their
 *   reads and writes are use cases of `app/`. Imports of Kysely, the drivers and `storage/` from
 *   these folders are refused by the linter (`noRestrictedImports` in biome.json).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const SRC = 'src';

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Static `import … from`, `import '…'` and `export … from` specifiers that start with a dot. */
const IMPORT = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"](\.[^'"]+)['"]/g;

/** Comments out, so an example in a doc comment is not taken for an import. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** file → the files of `src/` it imports. */
export function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const m of code(fs.readFileSync(file, 'utf8')).matchAll(IMPORT)) {
      targets.push(path.normalize(path.join(path.dirname(file), m[1]!)));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The cycles of a graph: each strongly connected component of more than one file (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('layering', () => {
  const files = sourceFiles(SRC);

  it('finds the imports of a file, type-only and re-exports included, comments left out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layering-'));
    try {
      const a = path.join(dir, 'a.ts');
      const b = path.join(dir, 'b.ts');
      const c = path.join(dir, 'c.ts');
      fs.writeFileSync(a, "import type { B } from './b.ts';\n/** @example import { x } from './c.ts' */\n");
      fs.writeFileSync(b, "export { C } from './c.ts';\n");
      fs.writeFileSync(c, "import {\n  A,\n} from './a.ts';\nconst m = await import('./b.ts');\n");
      const graph = importGraph([a, b, c]);
      assert.deepEqual(graph.get(a), [b]);
      assert.deepEqual(graph.get(b), [c]);
      assert.deepEqual(graph.get(c), [a]);
      assert.deepEqual(cycles(graph), [[a, b, c].sort()]);
      fs.writeFileSync(c, 'export const C = 1;\n');
      assert.deepEqual(cycles(importGraph([a, b, c])), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no import cycles in src/', () => {
    assert.deepEqual(cycles(importGraph(files)), []);
  });

  it('has no import cycles between the folders of src/', () => {
    const folder = (f: string) => f.split(path.sep)[1]!;
    const folders = new Map<string, string[]>();
    for (const [file, targets] of importGraph(files)) {
      const from = folder(file);
      const to = folders.get(from) ?? [];
      for (const t of targets) if (folder(t) !== from && !to.includes(folder(t))) to.push(folder(t));
      folders.set(from, to);
    }
    assert.deepEqual(cycles(folders), []);
  });

  it('keeps the query builder out of web/, protocol/ and cli/', () => {
    const outer = files.filter((f) => /^src[\\/](web|protocol|cli)[\\/]/.test(f));
    const offenders = outer.filter((f) => /\.store\.db\b/.test(code(fs.readFileSync(f, 'utf8'))));
    assert.deepEqual(offenders, []);
  });
});
