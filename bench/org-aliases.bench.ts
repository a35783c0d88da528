/**
 * Reading an organization file that leans on YAML aliases: 8,000 aliases in about
 * 290 KB, which took minutes while every alias walked the whole document. Target: under 2 s.
 * Also the same file with a problem in it (read again by the careful reader, which keeps
 * positions), and how long an alias bomb takes to be refused. Each figure is the median of 5 runs in this
 * process (the first run, which also compiles, is reported on its own).
 */
import { parseOrgFile } from '../src/app/org-file/index.ts';
import { aliasBomb, aliasHeavyOrg } from '../test/helpers/alias-org.ts';
import { percentile, report } from './report.ts';

function timeParse(text: string, expectOk: boolean): number {
  const t = performance.now();
  const r = parseOrgFile(text);
  const seconds = (performance.now() - t) / 1000;
  if (r.ok !== expectOk) throw new Error(`expected ok=${expectOk}, got ${JSON.stringify(r).slice(0, 300)}`);
  return seconds;
}

const heavy = aliasHeavyOrg(4000);
const first = timeParse(heavy, true);
report({
  name: 'org file: 8,000 aliases, first read',
  value: first,
  unit: 's',
  target: '< 2 s',
  met: first < 2,
  detail: { bytes: heavy.length },
});
const runs = Array.from({ length: 5 }, () => timeParse(heavy, true));
const median = percentile(runs, 50);
report({
  name: 'org file: 8,000 aliases, median of 5',
  value: median,
  unit: 's',
  target: '< 2 s',
  met: median < 2,
  detail: { bytes: heavy.length },
});
// A problem in the file sends it through the careful reader, which keeps every node's position.
const withProblem = `${heavy}  - { userName: last, displayName: *dn, givenName: *gn, familyName: Doe, email: x }\n`;
const careful = percentile(
  Array.from({ length: 5 }, () => timeParse(withProblem, false)),
  50,
);
report({
  name: 'org file: 8,000 aliases and a problem, median of 5',
  value: careful,
  unit: 's',
  detail: { bytes: withProblem.length },
});
const bomb = aliasBomb();
const refused = percentile(
  Array.from({ length: 5 }, () => timeParse(bomb, false)),
  50,
);
report({ name: 'org file: alias bomb refused, median of 5', value: refused, unit: 's' });
