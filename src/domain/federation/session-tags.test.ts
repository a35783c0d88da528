import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSessionTagKey, sessionTagsFor, type UserAttributes } from './session-tags.ts';

const alice: UserAttributes = {
  userName: 'alice',
  email: 'alice@example.com',
  displayName: 'Alice Doe',
  givenName: 'Alice',
  familyName: null,
  attributes: { department: 'Engineering', costCenter: 'R&D' },
};

describe('session tags from user attributes', () => {
  it('takes each tag value from the attribute it names, user fields included', () => {
    assert.deepEqual(
      sessionTagsFor({ Department: 'department', Mail: 'email', Who: 'userName' }, alice, 'Dev'),
      {
        tags: { Department: 'Engineering', Mail: 'alice@example.com', Who: 'alice' },
      },
    );
  });

  it('names the attributes the user does not have', () => {
    const r = sessionTagsFor({ Department: 'department', Team: 'team', Family: 'familyName' }, alice, 'Dev');
    assert.ok('problem' in r);
    assert.match(r.problem, /Permission set Dev tags its sessions with your attributes team, familyName/);
    assert.match(r.problem, /user alice does not have/);
  });

  it('refuses a value AWS cannot take as a tag value, naming the attribute', () => {
    const r = sessionTagsFor({ Cost: 'costCenter' }, alice, 'Dev');
    assert.ok('problem' in r);
    assert.match(r.problem, /from your attribute costCenter/);
  });

  it('does not read attributes from the prototype', () => {
    const r = sessionTagsFor({ X: 'constructor' }, alice, 'Dev');
    assert.ok('problem' in r);
  });

  it('checks tag keys as AWS does', () => {
    assert.equal(checkSessionTagKey('Department'), undefined);
    assert.equal(checkSessionTagKey('cost-center:team/a=b+c@d'), undefined);
    assert.match(checkSessionTagKey('aws:Department') ?? '', /reserved by AWS/);
    assert.match(checkSessionTagKey('a'.repeat(129)) ?? '', /1 to 128/);
    assert.match(checkSessionTagKey('bad*key') ?? '', /1 to 128/);
  });
});
