/**
 * The organization file and the identitystore API refuse the same attribute values: each value
 * below is checked by the API's input shape (`protocol/admin/identitystore.ts`, what UpdateUser
 * and CreateUser run) and by the organization file, and both must agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOrgFile } from '../../src/app/org-file/index.ts';
import {
  EXTERNAL_ID_TEXT,
  MAX_EXTERNAL_IDS,
  SENSITIVE_TEXT,
} from '../../src/domain/identity/user-attributes.ts';
import { check, list, str, struct } from '../../src/protocol/admin/shapes.ts';

const API_TITLE = str(SENSITIVE_TEXT.min, SENSITIVE_TEXT.max, SENSITIVE_TEXT.pattern);
const API_EXTERNAL_IDS = list(
  struct(
    {
      Issuer: str(EXTERNAL_ID_TEXT.min, EXTERNAL_ID_TEXT.max, EXTERNAL_ID_TEXT.pattern),
      Id: str(EXTERNAL_ID_TEXT.min, EXTERNAL_ID_TEXT.max, EXTERNAL_ID_TEXT.pattern),
    },
    ['Issuer', 'Id'],
  ),
  1,
  MAX_EXTERNAL_IDS,
);

const fileTakes = (user: Record<string, unknown>) =>
  parseOrgFile(JSON.stringify({ users: [{ userName: 'u', displayName: 'U', ...user }] })).ok;

const TEXTS = [
  'Engineer',
  'Line one\nline two',
  'tab\there',
  'x'.repeat(1024),
  'x'.repeat(1025),
  '😀'.repeat(1024),
  '',
  'nul\u0000',
  'bell\u0007',
  'ideographic\u3000space',
  'nbsp\u00a0',
  'zero\u200bwidth',
];

describe('identitystore attribute values: the file and the API agree', () => {
  it('on text attributes', () => {
    for (const v of TEXTS) {
      const api = check(API_TITLE, v).length === 0;
      assert.equal(fileTakes({ title: v }), api, JSON.stringify(v));
      assert.equal(fileTakes({ phoneNumbers: [{ value: v }] }), api, JSON.stringify(v));
    }
  });

  it('on external ids', () => {
    for (const v of [...TEXTS, 'https://scim.example.com', 'x'.repeat(256), 'x'.repeat(257), 'a b']) {
      const api = check(API_EXTERNAL_IDS, [{ Issuer: v, Id: 'id-1' }]).length === 0;
      assert.equal(fileTakes({ externalIds: [{ issuer: v, id: 'id-1' }] }), api, JSON.stringify(v));
    }
    const eleven = Array.from({ length: 11 }, (_, i) => ({ issuer: 'i', id: `id-${i}` }));
    assert.equal(
      check(
        API_EXTERNAL_IDS,
        eleven.map((e) => ({ Issuer: e.issuer, Id: e.id })),
      ).length > 0,
      true,
    );
    assert.equal(fileTakes({ externalIds: eleven }), false);
  });
});
