/**
 * Organization files that lean on YAML aliases: one whose users share values through
 * aliases, for the reader's test and benchmark, and an alias bomb ("billion laughs"); and a
 * parse that is stopped when it takes too long.
 */
import { Worker } from 'node:worker_threads';

/**
 * `users` users whose display and given names are aliases of two anchors: 2 aliases per user
 * (4,000 users: 8,000 aliases, about 290 KB).
 */
export function aliasHeavyOrg(users: number): string {
  const lines = [
    'groups:',
    '  - { name: Everyone, description: &dn Member of staff }',
    '  - { name: Staff, description: &gn Staff }',
    'users:',
  ];
  for (let i = 0; i < users; i++) {
    lines.push(
      `  - { userName: user-${String(i).padStart(5, '0')}, displayName: *dn, givenName: *gn, familyName: Doe, groups: [ Everyone ] }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Ten levels of ten aliases each to the level before: 10^10 values once expanded. */
export function aliasBomb(): string {
  const levels = 'abcdefghij';
  return [
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    ...levels
      .slice(1)
      .split('')
      .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${levels[i]}`).join(',')}]`),
    '',
  ].join('\n');
}

/** What `parseWithin` reports of a parse. */
export interface ParseSummary {
  ok: boolean;
  users: number;
  firstUser: { displayName: string; givenName: string } | null;
  problems: string[];
}

/**
 * `parseOrgFile(text)` in a worker thread, stopped after `ms` milliseconds: a parse that hangs
 * the event loop fails the test instead of holding it for minutes.
 */
export function parseWithin(text: string, ms: number): Promise<ParseSummary> {
  const index = new URL('../../src/app/org-file/index.ts', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api')
      .then((tsx) => tsx.register())
      .then(() => import(${JSON.stringify(index)}))
      .then((m) => {
        const r = m.parseOrgFile(workerData);
        const u = r.ok ? r.org.users[0] : undefined;
        parentPort.postMessage({
          ok: r.ok,
          users: r.ok ? r.org.users.length : 0,
          firstUser: u ? { displayName: u.displayName, givenName: u.givenName } : null,
          problems: r.ok ? [] : r.problems.map(m.formatProblem),
        });
      });`;
  const worker = new Worker(code, { eval: true, workerData: text });
  return new Promise<ParseSummary>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`parseOrgFile did not finish within ${ms / 1000} s`));
      void worker.terminate();
    }, ms);
    worker.once('message', (summary: ParseSummary) => {
      clearTimeout(timer);
      resolve(summary);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
