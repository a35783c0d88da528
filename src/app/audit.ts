/**
 * Audit events: every change and every security-relevant decision writes one row, inside the
 * same transaction as the change it records. Never put secrets in `detail`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.ts';

export interface AuditEvent {
  at: number;
  actor: string;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  detail?: Record<string, unknown> | null;
  sourceIp?: string | null;
  requestId?: string | null;
}

/** The stored form of an event (also used by the group-committed writer of the hot paths). */
export function auditRow(e: AuditEvent) {
  return {
    at: e.at,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType ?? null,
    target_id: e.targetId ?? null,
    detail: e.detail ? JSON.stringify(e.detail) : null,
    source_ip: e.sourceIp ?? null,
    request_id: e.requestId ?? null,
  };
}

export async function writeAudit(db: Kysely<Database>, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(event)).execute();
}

/** Many events at once (bulk changes such as `idcenter apply`), in chunks the drivers accept. */
export async function writeAuditBatch(db: Kysely<Database>, events: AuditEvent[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < events.length; i += CHUNK) {
    await db
      .insertInto('audit_events')
      .values(events.slice(i, i + CHUNK).map(auditRow))
      .execute();
  }
}
