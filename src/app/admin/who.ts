/**
 * Who makes an admin change, as the audit log records it: the caller's user (`user:<id>`, the
 * same actor a person's own changes carry) with the credentials and permission set they used,
 * the client address and the request id. A change made in the admin console carries
 * `via: 'admin-console'` and no credentials (the person signed in to the portal).
 */
import type { AuditAction, AuditEvent } from '../audit.ts';
import type { CredentialService } from '../credentials/service.ts';
import { MAX_CREDENTIAL_LIFETIME_MS, type WrittenRevocations } from '../revocation.ts';

export interface AdminWho {
  actor: string;
  /** Where the change came from: the admin APIs (the default) or the admin console. */
  via?: 'admin-api' | 'admin-console';
  /** The role credentials of an admin API call (the console signs with a portal session). */
  accessKeyId?: string;
  permissionSetId?: string;
  accountId?: string;
  sourceIp: string;
  requestId: string;
}

export function auditOf(
  who: AdminWho,
  at: number,
  action: AuditAction,
  targetType: string,
  targetId: string,
  detail: Record<string, unknown> = {},
): AuditEvent {
  return {
    at,
    actor: who.actor,
    action,
    targetType,
    targetId,
    // The caller's account and permission set under names of their own: an assignment's detail
    // has an accountId and permissionSetId of its own, which must not be overwritten.
    detail: {
      ...detail,
      via: who.via ?? 'admin-api',
      accessKeyId: who.accessKeyId,
      callerPermissionSetId: who.permissionSetId,
      callerAccountId: who.accountId,
    },
    sourceIp: who.sourceIp,
    requestId: who.requestId,
  };
}

/** A unique index refused the row (SQLite and PostgreSQL say it their own way). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Apply the revocations an admin change wrote to this server's view at once (other replicas
 * see them at their next refresh, as with `revokeNow`).
 */
export function noteRevocations(credentials: CredentialService, written: WrittenRevocations): void {
  for (const r of written.revocations) {
    credentials.revocations.note(
      r.kind,
      r.subject,
      written.notBefore,
      written.notBefore + MAX_CREDENTIAL_LIFETIME_MS,
    );
  }
}
