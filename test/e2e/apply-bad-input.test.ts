/**
 * Invalid and hostile organization files: every problem is reported at once, each with its path
 * and line, the exit code is non-zero, and the store is left exactly as it was (both stores).
 * A store that cannot be opened gives one line, not a stack trace.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatProblem, parseOrgFile } from '../../src/app/org-file/index.ts';
import { runApply } from '../../src/cli/commands/admin-run.ts';
import { CliError, reportError } from '../../src/cli/errors.ts';
import { openStore, type Store } from '../../src/storage/db.ts';
import { aliasBomb } from '../helpers/alias-org.ts';
import { type AppliedStore, idcenter, openAppliedStore, SMALL_ORG, snapshot } from '../helpers/apply.ts';
import { STORE_KINDS, type TempStoreUrl } from '../helpers/stores.ts';

const bigPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: Array.from({ length: 90 }, (_, i) => ({
    Sid: `S${i}`,
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::bucket-${'x'.repeat(60)}-${i}/*`,
  })),
});

interface Case {
  name: string;
  text: string;
  /** Every problem expected, as `path (line N): message pattern`; nothing else may be reported. */
  expect: Array<[string, number | undefined, RegExp]>;
}

const CASES: Case[] = [
  {
    name: 'a file with many problems of every kind',
    text: [
      /* 1 */ 'managementAccount: "999999999999"',
      /* 2 */ 'accounts:',
      /* 3 */ '  - { id: "111111111111", name: Production, email: prod@example.com, ou: /Workloads }',
      /* 4 */ '  - { id: 11111111111, name: Short, email: short@example.com }',
      /* 5 */ '  - { id: "11111111111a", name: Letters, email: letters@example.com }',
      /* 6 */ '  - { id: "111111111111", name: Again, email: PROD@example.com }',
      /* 7 */ '  - { id: "222222222222", name: "Esc\\e[31mape", email: x@y, ou: Workloads/Dev }',
      /* 8 */ 'groups:',
      /* 9 */ '  - { name: Developers }',
      /* 10 */ '  - { name: developers }',
      /* 11 */ '  - { name: "Evil\\u202Egroup" }',
      /* 12 */ 'users:',
      /* 13 */ '  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, emial: a@example.com, groups: [Developers, Nope] }',
      /* 14 */ '  - { userName: ALICE, displayName: Alice2, givenName: A, familyName: D }',
      /* 15 */ '  - { userName: "bo\\u0007b", displayName: Bob, givenName: Bob, familyName: Roe, email: not-an-email, disabled: "yes" }',
      /* 16 */ '  - { userName: carol, displayName: Carol }',
      /* 17 */ 'permissionSets:',
      /* 18 */ '  - name: ReadOnly',
      /* 19 */ '    sessionDuration: PT13H',
      /* 20 */ '    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess, ReadOnlyAccess]',
      /* 21 */ '    inlinePolicy: { Version: "2012-10-17", Statement: [ { Effect: allow, Action: "s3:Get*", Principal: "*" } ] }',
      /* 22 */ '    tags: { Env: 1, "aws:owner": me }',
      /* 23 */ '  - name: readonly',
      /* 24 */ '  - name: Too Long Name With Spaces And More',
      /* 25 */ '    sessionDuration: 4h',
      /* 26 */ `    inlinePolicy: '{"Version": "2012-10-17", '`,
      /* 27 */ '  - name: Big',
      /* 28 */ '    sessionDuration: PT30M',
      /* 29 */ `    inlinePolicy: '${bigPolicy}'`,
      /* 30 */ 'assignments:',
      /* 31 */ '  - { group: Developers, permissionSet: Missing, accounts: ["333333333333"], ous: [/Nowhere] }',
      /* 32 */ '  - { user: dave, permissionSet: ReadOnly, accounts: ["111111111111"] }',
      /* 33 */ '  - { user: alice, group: Developers, permissionSet: ReadOnly }',
      /* 34 */ 'extra: true',
      '',
    ].join('\n'),
    expect: [
      ['managementAccount', 1, /account 999999999999 is not in accounts/],
      ['accounts[1].id', 4, /read as a number; write exactly 12 digits in quotes/],
      ['accounts[2].id', 5, /exactly 12 digits/],
      ['accounts[3].id', 6, /account 111111111111 is already defined at accounts\[0\]/],
      ['accounts[3].email', 6, /e-mail PROD@example.com is already used by the account at accounts\[0\]/],
      ['accounts[4].name', 7, /control.*U\+001B/],
      ['accounts[4].email', 7, /at least 6 characters/],
      ['accounts[4].ou', 7, /must start with "\/"/],
      ['groups[1].name', 10, /already defined at groups\[0\]/],
      ['groups[2].name', 11, /U\+202E/],
      ['users[0].emial', 13, /unknown key "emial" \(did you mean "email"\?\)/],
      ['users[0].groups[1]', 13, /group "Nope" is not defined/],
      ['users[1].userName', 14, /already defined at users\[0\]/],
      ['users[2].userName', 15, /control.*U\+0007/],
      ['users[2].email', 15, /not an e-mail address/],
      ['users[2].disabled', 15, /true or false/],
      ['permissionSets[0].sessionDuration', 19, /outside the allowed range PT1H to PT12H/],
      ['permissionSets[0].managedPolicies[1]', 20, /not an AWS managed policy ARN/],
      ['permissionSets[0].inlinePolicy.Statement[0].Effect', 21, /Allow" or "Deny/],
      ['permissionSets[0].inlinePolicy.Statement[0]', 21, /no Resource/],
      ['permissionSets[0].inlinePolicy.Statement[0].Principal', 21, /Principal is not allowed/],
      ['permissionSets[0].tags.Env', 22, /must be text, but YAML read the number 1/],
      ['permissionSets[0].tags["aws:owner"]', 22, /reserved/],
      ['permissionSets[1].name', 23, /already defined at permissionSets\[0\]/],
      ['permissionSets[2].name', 24, /at most 32/],
      ['permissionSets[2].sessionDuration', 25, /not an ISO-8601 duration/],
      ['permissionSets[2].inlinePolicy', 26, /not valid JSON/],
      ['permissionSets[3].sessionDuration', 28, /outside the allowed range/],
      ['permissionSets[3].inlinePolicy', 29, /not whitespace; at most 10240/],
      ['assignments[0].permissionSet', 31, /permission set "Missing" is not defined/],
      ['assignments[0].accounts[0]', 31, /account 333333333333 is not defined/],
      ['assignments[0].ous[0]', 31, /OU \/Nowhere has no accounts/],
      ['assignments[1].user', 32, /user "dave" is not defined/],
      ['assignments[2]', 33, /exactly one of user or group/],
      ['assignments[2]', 33, /needs accounts or ous/],
      ['extra', 34, /unknown key "extra"/],
    ],
  },
  {
    name: 'a YAML syntax error',
    text: 'accounts:\n  - { id: "111111111111", name: A, email: a@example.com\ngroups: []\n',
    expect: [['', 3, /YAML: /]],
  },
  {
    name: 'duplicate keys in one mapping',
    text: 'groups:\n  - name: A\n    name: B\n',
    expect: [['', 3, /YAML: Map keys must be unique/]],
  },
  {
    name: 'wrong types everywhere',
    text: 'accounts: nope\ngroups: [ [1, 2] ]\nusers: { userName: x }\npermissionSets: [ { name: 12 } ]\n',
    expect: [
      ['accounts', 1, /accounts must be a list, not text/],
      ['groups[0]', 2, /a group must be a mapping, not a list/],
      ['users', 3, /users must be a list, not a mapping/],
      ['permissionSets[0].name', 4, /must be text, but YAML read the number 12; put it in quotes/],
    ],
  },
  { name: 'an empty file', text: '# nothing here\n', expect: [['', undefined, /the file is empty/]] },
  {
    name: 'an alias bomb',
    text: aliasBomb(),
    expect: [['', 5, /aliases expand to more than 100,000 values \(the limit\); the alias \*d at column 29/]],
  },
];

function assertProblems(c: Case, problems: ReturnType<typeof parseOrgFile>): void {
  assert.equal(problems.ok, false, `${c.name}: expected problems`);
  if (problems.ok) return;
  const got = problems.problems.map(formatProblem);
  for (const [p, line, re] of c.expect) {
    const head =
      p && line !== undefined
        ? `${p} (line ${line}): `
        : p
          ? `${p}: `
          : line !== undefined
            ? `line ${line}: `
            : 'file: ';
    assert.ok(
      got.some((g) => g.startsWith(head) && re.test(g.slice(head.length))),
      `${c.name}: expected "${head}${re.source}" in:\n${got.join('\n')}`,
    );
  }
  assert.equal(
    got.length,
    c.expect.length,
    `${c.name}: exactly the expected problems, got:\n${got.join('\n')}`,
  );
}

describe('organization file problems', () => {
  for (const c of CASES) {
    it(`reports every problem of ${c.name} with its path and line`, () => {
      assertProblems(c, parseOrgFile(c.text));
    });
  }
});

for (const kind of STORE_KINDS) {
  describe(`bad input leaves the ${kind} store exactly as it was`, () => {
    let applied: AppliedStore;
    let temp: TempStoreUrl;
    let store: Store;
    before(async () => {
      applied = await openAppliedStore(kind, SMALL_ORG);
      ({ temp, store } = applied);
    });
    after(async () => {
      await applied.close();
    });

    it('refuses every hostile file with a non-zero exit and no write', async () => {
      const before = await snapshot(store);
      for (const c of CASES) {
        const file = path.join(temp.dataDir, 'bad.yaml');
        fs.writeFileSync(file, c.text);
        const out: string[] = [];
        const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
        await assert.rejects(
          runApply({ file, databaseUrl: temp.url }, { stdout: sink, stderr: sink }),
          (err: unknown) => {
            assert.ok(err instanceof CliError);
            assert.equal(reportError(err, sink), 253);
            return true;
          },
        );
        const text = out.join('');
        assert.match(text, new RegExp(`has ${c.expect.length} problems?; nothing was written`), c.name);
        assert.deepEqual(await snapshot(store), before, `${c.name}: store unchanged`);
      }
    });

    it('prints the problems from the real binary and exits non-zero', async () => {
      const file = path.join(temp.dataDir, 'bad.yaml');
      fs.writeFileSync(file, CASES[0]?.text ?? '');
      const r = await idcenter(['apply', '-f', file, '--database-url', temp.url]);
      assert.equal(r.code, 253);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /has 36 problems; nothing was written:\n/);
      assert.match(r.stderr, /^ {2}users\[0\]\.emial \(line 13\): unknown key "emial"/m);
      assert.doesNotMatch(r.stderr, /at .*\.(ts|mjs|js):\d+/, 'no stack trace');
    });
  });
}

describe('a store that cannot be opened', () => {
  const oneLine = (r: { code: number; stderr: string }) => {
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^idcenter: /);
  };
  let dir: string;
  let file: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'idcenter-apply-'));
    file = path.join(dir, 'org.yaml');
    fs.writeFileSync(file, SMALL_ORG);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says so in one line when PostgreSQL is down', async () => {
    const r = await idcenter(['apply', '-f', file, '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
    oneLine(r);
    assert.match(r.stderr, /cannot connect to PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none/);
  });

  it('says so in one line for a URL that is not a store', async () => {
    const r = await idcenter(['user', 'disable', 'alice', '--database-url', 'mysql://x']);
    oneLine(r);
    assert.match(r.stderr, /IDCENTER_DATABASE_URL .*must start with postgres/);
  });

  it('says so in one line when the SQLite file is not a database', async () => {
    const bogus = path.join(dir, 'bogus.db');
    fs.writeFileSync(bogus, 'this is not a database, just text '.repeat(200));
    const r = await idcenter(['apply', '-f', file, '--database-url', `sqlite:${bogus}`]);
    oneLine(r);
    assert.match(r.stderr, /not a database/);
  });

  it('says so in one line when another process holds the SQLite write lock', async () => {
    const dbFile = path.join(dir, 'locked.db');
    const holder = await openStore(`sqlite:${dbFile}`);
    try {
      const { sql } = await import('kysely');
      await holder.db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        const r = await idcenter(['apply', '-f', file, '--database-url', `sqlite:${dbFile}`], {
          timeoutMs: 60_000,
        });
        await sql`rollback`.execute(conn);
        oneLine(r);
        assert.match(r.stderr, /locked/);
      });
    } finally {
      await holder.close();
    }
  });
});
