import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkAccountEmail,
  checkAccountId,
  checkAccountName,
  checkOuPath,
  isUnderOu,
  ouAncestry,
  ouName,
  ouParent,
} from './organization.ts';

describe('account ids', () => {
  it('accepts exactly 12 digits, leading zeros included', () => {
    assert.equal(checkAccountId('011111111111'), undefined);
    assert.equal(checkAccountId('123456789012'), undefined);
  });
  it('rejects anything else and says to quote it', () => {
    for (const bad of ['11111111111', '1111111111111', '11111111111a', ' 111111111111', '']) {
      assert.match(checkAccountId(bad) ?? '', /exactly 12 digits.*quoted/, bad);
    }
  });
});

describe('account names and e-mails', () => {
  it('checks length, blanks and control characters', () => {
    assert.equal(checkAccountName('Production'), undefined);
    assert.match(checkAccountName(' ') ?? '', /blank/);
    assert.match(checkAccountName('Prod\u001b[31m') ?? '', /control/);
    assert.match(checkAccountName('x'.repeat(129)) ?? '', /at most 128/);
  });
  it('checks the 6–64 character e-mail', () => {
    assert.equal(checkAccountEmail('prod@example.com'), undefined);
    assert.match(checkAccountEmail('a@b.c') ?? '', /at least 6/);
    assert.match(checkAccountEmail(`${'x'.repeat(60)}@example.com`) ?? '', /at most 64/);
    assert.match(checkAccountEmail('prod.example.com') ?? '', /not an e-mail/);
  });
});

describe('OU paths', () => {
  it('accepts the root and nested paths up to five levels', () => {
    for (const ok of ['/', '/Workloads', '/Workloads/Prod', '/A/B/C/D/E', '/Sand box']) {
      assert.equal(checkOuPath(ok), undefined, ok);
    }
  });
  it('rejects relative, empty levels, too deep, padded and control characters', () => {
    assert.match(checkOuPath('Workloads') ?? '', /must start with "\/"/);
    assert.match(checkOuPath('/Workloads/') ?? '', /empty level/);
    assert.match(checkOuPath('/A//B') ?? '', /empty level/);
    assert.match(checkOuPath('/A/B/C/D/E/F') ?? '', /6 levels deep/);
    assert.match(checkOuPath('/ Prod') ?? '', /spaces/);
    assert.match(checkOuPath('/Prod\u0000') ?? '', /control/);
  });
  it('walks ancestry, parents and subtrees', () => {
    assert.deepEqual(ouAncestry('/A/B/C'), ['/A', '/A/B', '/A/B/C']);
    assert.deepEqual(ouAncestry('/'), []);
    assert.equal(ouParent('/A/B'), '/A');
    assert.equal(ouParent('/A'), '/');
    assert.equal(ouName('/A/B'), 'B');
    assert.ok(isUnderOu('/A/B', '/A'));
    assert.ok(isUnderOu('/A', '/A'));
    assert.ok(!isUnderOu('/AB', '/A'));
    assert.ok(isUnderOu('/AB', '/'));
  });
});
