/**
 * Audit actions are a closed list: an event with an action outside `AuditAction` does not
 * compile. The `@ts-expect-error` lines below are the check: if `AuditAction` widened to any
 * string, they would no longer be errors and `npm run typecheck` would fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuditAction, type AuditEvent, auditRow } from './audit.ts';

describe('AuditAction', () => {
  it('accepts the listed actions and refuses a misspelt one at compile time', () => {
    const known: AuditAction = 'session.revoke';
    // @ts-expect-error 'sesion.revoke' is not an audit action
    const typo: AuditAction = 'sesion.revoke';
    const event: AuditEvent = {
      at: 1,
      actor: 'user:u1',
      // @ts-expect-error an event's action comes from the list too
      action: 'user.sessions_revoked',
    };
    assert.equal(auditRow({ at: 1, actor: 'admin', action: known }).action, 'session.revoke');
    assert.equal(typo, 'sesion.revoke');
    assert.equal(event.action, 'user.sessions_revoked');
  });
});
