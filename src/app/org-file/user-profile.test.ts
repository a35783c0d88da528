import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROFILE_ATTRIBUTES, PROFILE_NAME_PARTS } from '../../domain/identity/user-attributes.ts';
import { formatProblem, parseOrgFile } from './index.ts';
import {
  fileKeysOfProfile,
  LIST_ATTRIBUTES,
  NAME_PARTS,
  profileChanges,
  profileOfStored,
  storedProfileText,
  TEXT_ATTRIBUTES,
} from './user-profile.ts';

function problems(users: string): string[] {
  const r = parseOrgFile(`users:\n${users}`);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('identitystore attributes in the organization file', () => {
  it('reads every attribute into the identitystore shape, the e-mail from emails', () => {
    const r = parseOrgFile(`groups:
  - { name: Ops, externalIds: [{ issuer: "https://scim.example.com", id: g-1 }] }
users:
  - userName: gina
    displayName: Gina
    middleName: Q
    formattedName: Gina Q Ops
    title: "Operator\\tnights"
    emails: [{ value: gina@localhost, type: work }]
    photos: [{ value: "https://example.com/a.png" }, { value: "https://example.com/b.png", primary: true }]
    extensions: { "aws:identitystore:enterprise": { costCenter: "42", manager: { value: m-1 } } }
    externalIds: [{ issuer: "https://scim.example.com", id: u-1 }]
`);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const gina = r.org.users[0];
    assert.equal(gina?.email, 'gina@localhost');
    assert.deepEqual(gina?.profile, {
      Name: { MiddleName: 'Q', Formatted: 'Gina Q Ops' },
      Title: 'Operator\tnights',
      Emails: [{ Value: 'gina@localhost', Type: 'work' }],
      Photos: [{ Value: 'https://example.com/a.png' }, { Value: 'https://example.com/b.png', Primary: true }],
      Extensions: { 'aws:identitystore:enterprise': { costCenter: '42', manager: { value: 'm-1' } } },
    });
    assert.deepEqual(gina?.externalIds, [{ issuer: 'https://scim.example.com', id: 'u-1' }]);
    assert.deepEqual(r.org.groups[0]?.externalIds, [{ issuer: 'https://scim.example.com', id: 'g-1' }]);
  });

  it('refuses what the identitystore refuses, each problem with its path', () => {
    assert.deepEqual(
      problems(`  - userName: gina
    displayName: Gina
    email: gina@example.com
    emails: [{ value: gina@example.com }]
    nickName: 12
    title: ""
    locale: "${'x'.repeat(1025)}"
    phoneNumbers: [{ value: "1" }, { value: "2" }]
    roles: []
    photos: [{ type: x }]
    addresses: [{ zip: "1" }]
    extensions: { "aws:other": 1 }
    externalIds: [{ issuer: has space, id: u-1 }, { issuer: i, id: u-1 }, { issuer: i, id: u-1 }]
  - { userName: hal, displayName: Hal, externalIds: [{ issuer: i, id: u-1 }] }
`),
      [
        'users[0].emails (line 5): give email or emails, not both (emails says the e-mail with its type; email is the short form)',
        'users[0].nickName (line 6): nickName must be text, but YAML read the number 12; put it in quotes',
        'users[0].title (line 7): title must not be empty',
        'users[0].locale (line 8): locale must be at most 1024 characters (got 1025)',
        'users[0].phoneNumbers (line 9): the identitystore keeps one phone number per user',
        'users[0].roles (line 10): roles must have at least one entry (leave roles out for none)',
        'users[0].photos[0].value (line 11): value is required',
        'users[0].addresses[0].zip (line 12): unknown key "zip" (expected streetAddress, locality, region, postalCode, country, formatted, type, primary)',
        'users[0].extensions["aws:other"] (line 13): extension name "aws:other" must be aws:identitystore: followed by 1 to 20 lower-case letters, such as aws:identitystore:enterprise',
        'users[0].externalIds[0].issuer (line 14): issuer may contain only letters, marks, symbols, digits and punctuation (no spaces)',
        'users[0].externalIds[2] (line 14): the external id "u-1" of issuer "i" is already given at users[0].externalIds[1] (it names one user)',
        'users[1].externalIds[0] (line 15): the external id "u-1" of issuer "i" is already given at users[0].externalIds[1] (it names one user)',
      ],
    );
  });

  it('keeps the one plain e-mail in the email column, and reads it back as the short email', () => {
    const plain = profileOfStored(null, 'a@example.com');
    assert.deepEqual(plain, { Emails: [{ Value: 'a@example.com', Primary: true }] });
    assert.equal(storedProfileText(plain, 'a@example.com'), null);
    assert.deepEqual(fileKeysOfProfile(plain), { email: 'a@example.com' });
    // An e-mail the short form refuses stays a list.
    assert.deepEqual(fileKeysOfProfile(profileOfStored(null, 'a@localhost')), {
      emails: [{ value: 'a@localhost', primary: true }],
    });
    // What the API adds to a stored profile beyond the attributes is not an attribute.
    const stored = profileOfStored(
      JSON.stringify({ UserId: 'u', UserStatus: 'ENABLED', Title: 'T', Name: { Formatted: 'F' } }),
      null,
    );
    assert.deepEqual(stored, { Title: 'T', Name: { Formatted: 'F' } });
    assert.deepEqual(profileChanges(stored, { Title: 'U' }, null, null), [
      { field: 'formattedName', from: 'F', to: null },
      { field: 'title', from: 'T', to: 'U' },
    ]);
  });

  it('has a file key for every attribute a stored profile may hold, and no other', () => {
    const wired = [
      'Name',
      ...TEXT_ATTRIBUTES.map(([, w]) => w),
      ...LIST_ATTRIBUTES.map((l) => l.wire),
      'Extensions',
    ];
    assert.deepEqual([...wired].sort(), [...PROFILE_ATTRIBUTES].sort());
    assert.deepEqual(NAME_PARTS.map(([, w]) => w).sort(), [...PROFILE_NAME_PARTS].sort());
  });
});
