import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkDisplayName,
  checkEmail,
  checkGroupName,
  checkPassword,
  checkPersonName,
  checkUserName,
  userNameKey,
} from './directory.ts';

describe('user names', () => {
  it('accepts names made of letters, digits, symbols and punctuation', () => {
    for (const ok of ['alice', 'alice@example.com', 'Zoë.Ångström', 'a', 'x'.repeat(128), 'dev+ops_1']) {
      assert.equal(checkUserName(ok), undefined, ok);
    }
  });
  it('rejects empty, too long, whitespace and control characters', () => {
    assert.match(checkUserName('') ?? '', /must not be empty/);
    assert.match(checkUserName('x'.repeat(129)) ?? '', /at most 128/);
    assert.match(checkUserName('alice smith') ?? '', /whitespace/);
    assert.match(checkUserName('alice\u00A0smith') ?? '', /whitespace/);
    assert.match(checkUserName('alice\u0000') ?? '', /control.*U\+0000/);
    assert.match(checkUserName('alice\u202Eevil') ?? '', /U\+202E/);
    assert.match(checkUserName('bob\n') ?? '', /control/);
  });
  it('compares case-insensitively through the key', () => {
    assert.equal(userNameKey('Alice'), userNameKey('alice'));
  });
});

describe('display names and e-mails', () => {
  it('accepts printable text with spaces', () => {
    assert.equal(checkDisplayName('Alice Doe'), undefined);
    assert.equal(checkPersonName('Núñez-O’Brien', 'family name'), undefined);
    assert.equal(checkGroupName('Platform Engineers (EU)'), undefined);
  });
  it('rejects blank, control characters and tabs', () => {
    assert.match(checkDisplayName('   ') ?? '', /blank/);
    assert.match(checkDisplayName('Alice\tDoe') ?? '', /control/);
    assert.match(checkGroupName('') ?? '', /must not be empty/);
    assert.match(checkPersonName('x'.repeat(1025), 'given name') ?? '', /given name must be at most 1024/);
  });
  it('checks e-mail shape', () => {
    assert.equal(checkEmail('alice@example.com'), undefined);
    for (const bad of ['alice', 'alice@example', 'a b@example.com', '@example.com', 'alice@@example.com']) {
      assert.match(checkEmail(bad) ?? '', /not an e-mail address/, bad);
    }
  });
});

describe('passwords', () => {
  it('enforces length and refuses control characters, never echoing the value', () => {
    assert.equal(checkPassword('idcenter-demo-1'), undefined);
    assert.match(checkPassword('short') ?? '', /at least 8/);
    assert.match(checkPassword('x'.repeat(257)) ?? '', /at most 256/);
    const msg = checkPassword('secret\u0007pass') ?? '';
    assert.match(msg, /control/);
    assert.doesNotMatch(msg, /secret/);
  });
});
