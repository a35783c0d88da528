/**
 * The administration commands' text arguments (user names, session ids) reach the store and the
 * terminal: one with a control character is refused with exit code 252 before anything is read
 * or written, and is not printed back (an escape sequence in an argument must not drive the
 * administrator's terminal). Through the real binary, on both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AppliedStore, idcenter, openAppliedStore, snapshot } from '../helpers/apply.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const ORG = `
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe, password: initial-pass-1 }
`;

/** Arguments with a control character: ESC (a terminal escape), TAB, a line break, BEL, DEL. */
const COMMANDS: string[][] = [
  ['user', 'disable', 'ali\u001b[2Jce'],
  ['user', 'enable', 'ali\tce'],
  ['user', 'set-password', 'ali\nce', '--stdin'],
  ['user', 'reset-mfa', 'alice\u0007'],
  ['sessions', 'revoke', '--user', 'alice\u001b]0;x\u0007'],
  ['sessions', 'revoke', '--session', 'a\u007fb'],
  ['sessions', 'list', '--user', 'ali\u001bce'],
];

for (const kind of STORE_KINDS) {
  describe(`administration commands refuse text arguments with control characters (${kind})`, () => {
    let applied: AppliedStore;
    before(async () => {
      applied = await openAppliedStore(kind, ORG);
    });
    after(async () => applied?.close());

    it('answers exit code 252 with a message that names the argument, and changes nothing', async () => {
      const before = await snapshot(applied.store);
      for (const args of COMMANDS) {
        const r = await idcenter([...args, '--database-url', applied.temp.url], {
          input: 'a-new-password-1\n',
        });
        const what = JSON.stringify(args);
        assert.equal(r.code, 252, `${what}: ${r.stderr}`);
        assert.match(r.stderr, /must not contain control characters; nothing was done/, what);
        assert.ok(!/\p{Cc}/u.test(r.stderr.replace(/\n$/, '')), `${what}: the argument is printed back`);
        assert.equal(r.stdout, '', what);
      }
      assert.deepEqual(await snapshot(applied.store), before);
    });
  });
}
