/**
 * Every document the code and the docs point at is in the repository. Comments cite pages of
 * `docs/` as `(docs/wire-protocols.md, "Error envelopes")` or `docs/wire-protocols.md#error-envelopes`,
 * and markdown links as `[text](client-files.md#access-tokens)`; this test fails when such a page
 * or heading does not exist, and when a file still points at a document kept outside the
 * repository (the old design notes and protocol notes, cited by section number).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOTS = ['src', 'test', 'bench', 'scripts', 'docs', 'README.md'];
const SELF = path.join('test', 'docs-links.test.ts');

/** References to documents that are not in the repository. Built from parts so this file passes. */
const OUTSIDE: Array<[RegExp, string]> = [
  [new RegExp(`\\b${'DESIGN'}\\.md\\b`), 'the design notes outside the repository'],
  [new RegExp(`${'wire-protocols'}(\\.md)?\\s*§`), 'a wire protocol note cited by section number'],
  [new RegExp(`${'client-files'}(\\.md)?\\s*§`), 'a client file note cited by section number'],
  [new RegExp(`${'cli-flow'}(\\.md)?\\s*§`), 'a CLI flow note cited by section number'],
  [new RegExp(`${'identity-center'}-behaviour`), 'the behaviour notes outside the repository'],
  [new RegExp(`${'server'}-semantics`), 'the server semantics notes outside the repository'],
  [new RegExp(`\\b(design )?${'decision'} \\d`, 'i'), 'a design decision cited by number'],
  [new RegExp(`(/work/${'shared'}|\\.\\./${'shared'}/)`), 'a path outside the repository'],
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown file's headings (fenced code skipped; repeats get -1, -2…). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Comment continuation lines joined, so a reference wrapped over two lines reads as one. */
function joined(text: string): string {
  return text.replace(/[ \t]*\r?\n[ \t]*(?:\*(?!\/)|\/\/)?[ \t]*/g, ' ');
}

/**
 * What is wrong with the references in one file. `file` is relative to the repository root;
 * `readDoc` gives the text of a repository file, or undefined when it does not exist.
 */
function problemsIn(file: string, text: string, readDoc: (p: string) => string | undefined): string[] {
  const problems: string[] = [];
  const flat = joined(text);
  for (const [re, what] of OUTSIDE) {
    const m = re.exec(flat);
    if (m) problems.push(`${file}: "${m[0]}" points at ${what}; cite a page of docs/ instead`);
  }
  const check = (target: string, anchor: string | undefined, headings: string[], as: string) => {
    const doc = readDoc(target);
    if (doc === undefined) {
      problems.push(`${file}: ${as} names ${target}, which does not exist`);
      return;
    }
    const anchors = anchorsOf(doc);
    for (const a of [...(anchor ? [anchor] : []), ...headings.map(slug)]) {
      if (!anchors.has(a)) problems.push(`${file}: ${as} names a heading ${target} does not have (#${a})`);
    }
  };
  // (docs/x.md, "Heading", "Heading"), docs/x.md#anchor, docs/x.md ("Heading"), README.md likewise.
  const cite = /(?<![\w/.-])((?:docs\/[\w-]+|README)\.md)(?:#([\w-]+))?((?:(?:,\s*|\s+\()"[^"]+"\)?)*)/g;
  for (const m of flat.matchAll(cite)) {
    const headings = [...(m[3] ?? '').matchAll(/"([^"]+)"/g)].map((h) => h[1] as string);
    check(m[1] as string, m[2], headings, `"${m[0].trim()}"`);
  }
  // Markdown links to other markdown files, and to headings of the same file.
  if (file.endsWith('.md')) {
    for (const m of text.matchAll(/\]\(([^)\s#]*\.md)?(?:#([^)\s]+))?\)/g)) {
      if (m[1] === undefined && m[2] === undefined) continue;
      if (m[1] !== undefined && /^[a-z]+:/.test(m[1])) continue;
      const target =
        m[1] === undefined ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
      check(target, m[2], [], `link "${m[0]}"`);
    }
  }
  return problems;
}

function filesUnder(p: string): string[] {
  if (!fs.existsSync(p)) return [];
  if (fs.statSync(p).isFile()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && !e.name.startsWith('.'))
    .flatMap((e) => filesUnder(path.join(p, e.name)));
}

function readDoc(p: string): string | undefined {
  return fs.existsSync(p) && fs.statSync(p).isFile() ? fs.readFileSync(p, 'utf8') : undefined;
}

describe('references to documents', () => {
  it('every document and heading cited in src, test, bench, scripts, docs and README exists', () => {
    const problems: string[] = [];
    for (const file of ROOTS.flatMap(filesUnder)) {
      if (file === SELF) continue;
      const bytes = fs.readFileSync(file);
      if (bytes.includes(0)) continue; // images and other binary files
      problems.push(...problemsIn(file.split(path.sep).join('/'), bytes.toString('utf8'), readDoc));
    }
    assert.deepEqual(problems, []);
  });

  const docs: Record<string, string> = {
    'docs/a.md': '# Page A\n\n## Error envelopes\n\n```\n# not a heading\n```\n\n## Step\n\n## Step\n',
    'README.md': '# Project\n\n## Organization file reference\n',
  };
  const read = (p: string) => docs[p];

  it('accepts a cited page and heading, wrapped over comment lines or as an anchor', () => {
    const text = [
      '/**',
      ' * Errors (docs/a.md, "Error',
      ' * envelopes"); see docs/a.md#step-1 and (README.md, "Organization file reference").',
      ' */',
    ].join('\n');
    assert.deepEqual(problemsIn('src/x.ts', text, read), []);
    assert.deepEqual(
      problemsIn('docs/b.md', 'See [A](a.md#error-envelopes) and [R](../README.md).', read),
      [],
    );
  });

  it('reports a missing page, a missing heading and a broken markdown link', () => {
    assert.equal(problemsIn('src/x.ts', '// (docs/nope.md, "Error envelopes")', read).length, 1);
    assert.equal(problemsIn('src/x.ts', '// (docs/a.md, "Error envelope")', read).length, 1);
    assert.equal(problemsIn('src/x.ts', '// docs/a.md#not-a-heading', read).length, 1);
    assert.equal(problemsIn('docs/b.md', '[x](a.md#missing) [y](#also-missing)', read).length, 2);
  });

  it('reports documents kept outside the repository', () => {
    for (const text of [
      `// see ${'DESIGN'}.md decision 1`,
      `// (${'wire-protocols'} §3.4)`,
      `/* spec ${'identity-center'}-behaviour §7 */`,
      `// (${'client-files'} §6.1)`,
      `// (${'cli-flow'} §2.1)`,
      `// yield one token (${'decision'} 2)`,
    ]) {
      assert.notDeepEqual(problemsIn('src/x.ts', text, read), [], text);
    }
  });
});
