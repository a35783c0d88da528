/**
 * The organization file (docs/decisions.md, "Organization as code"): YAML in, a validated
 * `DesiredOrg` out, or every problem in the file, each with its path (`users[2].email`) and line.
 *
 * Steps: `yaml-source.ts` reads YAML keeping positions; `schema.ts` checks the shape and every
 * value with the identity rules; `resolve.ts` checks uniqueness and references and expands OU
 * targets. Nothing here touches the store: `app/apply/` diffs and writes.
 */

import { readYamlFast } from './fast-yaml.ts';
import type { DesiredOrg } from './model.ts';
import { resolveOrg } from './resolve.ts';
import { KNOWN_KEYS, orgFileSchema } from './schema.ts';
import { type FileProblem, type PathSegment, readYaml } from './yaml-source.ts';

export type { DesiredOrg } from './model.ts';
export type { FileProblem } from './yaml-source.ts';

export type OrgFileResult = { ok: true; org: DesiredOrg } | { ok: false; problems: FileProblem[] };

/** Largest organization file read (a 50,000-user organization is about 15 MB). */
export const MAX_ORG_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Parse and validate an organization file. Never throws for bad input.
 *
 * @example
 * const r = parseOrgFile(fs.readFileSync('org.yaml', 'utf8'));
 * if (!r.ok) for (const p of r.problems) console.error(formatProblem(p));
 */
export function parseOrgFile(text: string): OrgFileResult {
  // Fast path: a clean file needs no positions.
  const fast = readYamlFast(text);
  let fastProblems: FileProblem[] | undefined;
  if (fast) {
    const checked = validate(fast.value);
    if (checked.problems.length === 0) return { ok: true, org: checked.org };
    fastProblems = checked.problems;
  }
  // Careful path: positions for every problem.
  const source = readYaml(text);
  if (source.problems.length > 0) return { ok: false, problems: sortProblems(source.problems) };
  const checked = validate(source.value);
  const problems = checked.problems.length > 0 ? checked.problems : (fastProblems ?? []);
  if (problems.length === 0) return { ok: true, org: checked.org };
  for (const p of problems) p.line = source.lineOf(p.path);
  return { ok: false, problems: sortProblems(problems) };
}

/**
 * Check an organization held as plain values (what `idcenter export` builds before writing it):
 * the same rules as a file, every problem with its path and without a line.
 *
 * @example const { problems } = checkOrgValue({ users: [{ userName: 'alice', displayName: 'Alice' }] });
 */
export function checkOrgValue(value: unknown): { org: DesiredOrg; problems: FileProblem[] } {
  return validate(value);
}

/** Shape and value rules (zod), then the rules between entries; every problem, without lines. */
function validate(value: unknown): { org: DesiredOrg; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const parsed = orgFileSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathSegment[];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const known = knownKeysFor(path);
          const hint = known ? suggest(key, known) : undefined;
          problems.push({
            path: [...path, key],
            message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : known ? ` (expected ${known.join(', ')})` : ''}`,
          });
        }
      } else if (issue.code === 'invalid_key') {
        // A tag key that breaks a rule: the rule's own message.
        problems.push({ path, message: issue.issues[0]?.message ?? issue.message });
      } else {
        problems.push({ path, message: issue.message });
      }
    }
  }
  // Rules between entries run even when some entries are malformed, so one run reports all.
  const resolved = resolveOrg(value);
  problems.push(...resolved.problems);
  return { org: resolved.org, problems };
}

/** `users[2].email`, `permissionSets[0].tags["Cost Center"]`. */
export function formatPath(path: PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One line per problem: `users[2].email (line 14): "x" is not an e-mail address`. */
export function formatProblem(p: FileProblem): string {
  const where = formatPath(p.path);
  const line = p.line !== undefined ? `line ${p.line}` : '';
  const head = where && line ? `${where} (${line})` : where || line || 'file';
  return `${head}: ${p.message}`;
}

function sortProblems(problems: FileProblem[]): FileProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

function knownKeysFor(path: PathSegment[]): string[] | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i];
    if (typeof seg === 'string') return KNOWN_KEYS[seg];
  }
  return KNOWN_KEYS[''];
}

/** The known key closest to `key` (edit distance ≤ 2, or same letters ignoring case). */
function suggest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}
