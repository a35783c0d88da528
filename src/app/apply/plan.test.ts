import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOrgFile } from '../org-file/index.ts';
import type { DesiredOrg } from '../org-file/model.ts';
import { formatPlan } from './format.ts';
import { computePlan, isEmptyPlan } from './plan.ts';
import { emptyState, type StoreState } from './state.ts';

function org(text: string): DesiredOrg {
  const r = parseOrgFile(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.org;
}

function emptyTestState(): StoreState {
  return emptyState({
    id: 'default',
    instance_id: 'ssoins-0000000000000000',
    identity_store_id: 'd-0000000000',
    organization_id: 'o-0000000000',
    root_id: 'r-0000',
    management_account_id: null,
    generation: 0,
    created_at: 0,
  });
}

const FILE = `
accounts: [ { id: "111111111111", name: Prod, email: prod@example.com, ou: /W } ]
groups: [ { name: Dev } ]
users: [ { userName: alice, displayName: Alice, givenName: A, familyName: D, groups: [Dev] } ]
permissionSets: [ { name: ReadOnly, sessionDuration: PT2H } ]
assignments: [ { group: Dev, permissionSet: ReadOnly, ous: [/W] } ]
`;

describe('planning', () => {
  it('creates everything into an empty store, one provisioned role per (account, permission set)', () => {
    const plan = computePlan(org(FILE), emptyTestState(), { prune: false });
    assert.equal(plan.ous.create.length, 1);
    assert.equal(plan.assignments.create.length, 1);
    assert.deepEqual(plan.provision.create, [{ accountId: '111111111111', permissionSet: 'readonly' }]);
    assert.equal(isEmptyPlan(plan), false);
    assert.equal(
      formatPlan(plan),
      [
        '+ create OU /W',
        '+ create account 111111111111 Prod in /W',
        '+ create group Dev',
        '+ create user alice',
        '+ create permission set ReadOnly (PT2H)',
        '+ add alice to group Dev',
        '+ assign ReadOnly in 111111111111 to group Dev',
        'Plan: 7 to create, 0 to update, 0 to delete.',
        '',
      ].join('\n'),
    );
  });

  it('lists what --prune would delete, and deletes it with --prune', () => {
    const state = emptyTestState();
    state.users.set('bob', {
      id: 'u-bob',
      user_name: 'bob',
      display_name: 'Bob',
      given_name: 'B',
      family_name: 'R',
      email: null,
      status: 'ENABLED',
      hasPassword: false,
      custom_attributes: null,
      profile: null,
      externalIds: [],
      fromDirectory: false,
    });
    state.userById.set('u-bob', 'bob');
    const kept = computePlan(org(FILE), state, { prune: false });
    assert.match(
      formatPlan(kept),
      /1 object in the store is not in the file and is kept; --prune would delete:\n {2}- delete user bob\n$/,
    );
    const pruned = computePlan(org(FILE), state, { prune: true });
    assert.match(formatPlan(pruned), /^- delete user bob$/m);
    assert.match(formatPlan(pruned), /Plan: 7 to create, 0 to update, 1 to delete\./);
  });

  it('shortens long sections', () => {
    const users = Array.from(
      { length: 5 },
      (_, i) => `  - { userName: u${i}, displayName: U, givenName: G, familyName: F }`,
    ).join('\n');
    const plan = computePlan(org(`users:\n${users}\n`), emptyTestState(), { prune: false });
    assert.match(formatPlan(plan, { maxLinesPerSection: 2 }), /\+ create user u1\n {2}… and 3 more\n/);
  });
});
