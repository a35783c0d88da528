/** What `idcenter sessions list|revoke` and `idcenter audit tail|prune` do. */
import {
  type AuditAction,
  auditEventsAfter,
  auditUserNames,
  countAuditBefore,
  lastAuditId,
  newestAuditEvents,
  pruneAudit,
  type StoredAuditEvent,
} from '../../app/audit.ts';
import { withCommandContext } from '../../app/command-store.ts';
import type { AppContext } from '../../app/context.ts';
import {
  listSessions,
  type RevocationOutcome,
  revokeEverything,
  revokeSessionById,
  revokeUserEverything,
  type SessionInfo,
} from '../../app/sessions.ts';
import type { Config } from '../../config/schema.ts';
import { durationFlagMs } from '../duration-flag.ts';
import { CliError } from '../errors.ts';
import { textArgument } from '../text-argument.ts';
import { adminConfig } from './admin-config.ts';
import type { StoreFlags } from './store-options.ts';
import { isoSeconds, table } from './text-table.ts';

async function withStore<T>(
  flags: StoreFlags,
  run: (ctx: AppContext, config: Config) => Promise<T>,
): Promise<T> {
  const config = adminConfig(flags);
  return withCommandContext(config.databaseUrl, (ctx) => run(ctx, config));
}

function sessionClients(s: SessionInfo): string {
  return s.clients.length > 0 ? s.clients.join(', ') : 'browser';
}

export async function runSessionsList(
  opts: StoreFlags & { user?: string; all?: boolean; json?: boolean },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if (opts.user !== undefined) textArgument('--user', opts.user);
  await withStore(opts, async (ctx) => {
    const list = await listSessions(ctx, { userName: opts.user, all: opts.all === true });
    if (opts.json) {
      for (const { cliSignIns: _, ...s } of list) out.write(`${JSON.stringify(s)}\n`);
      return;
    }
    if (list.length === 0) {
      out.write(opts.user ? `No live sessions for ${opts.user}.\n` : 'No live sessions.\n');
      return;
    }
    const rows = [
      ['SESSION', 'USER', 'CREATED', 'EXPIRES', 'SOURCE IP', 'CLIENT', ...(opts.all ? ['ENDED'] : [])],
    ];
    for (const s of list) {
      rows.push([
        s.sessionId,
        s.userName,
        isoSeconds(s.createdAt),
        isoSeconds(s.expiresAt),
        s.sourceIp ?? '-',
        sessionClients(s),
        ...(opts.all ? [isoSeconds(s.revokedAt)] : []),
      ]);
    }
    out.write(`${table(rows)}\n`);
  });
}

export async function runSessionsRevoke(
  opts: StoreFlags & { user?: string; session?: string; all?: boolean },
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if ([opts.user, opts.session, opts.all].filter((v) => v !== undefined).length !== 1) {
    throw new CliError('give exactly one of --user <userName>, --session <id> or --all', 252);
  }
  if (opts.user !== undefined) textArgument('--user', opts.user);
  if (opts.session !== undefined) textArgument('--session', opts.session);
  await withStore(opts, async (ctx) => {
    const actor = `cli:${process.env.USER ?? 'admin'}`;
    if (opts.all) {
      out.write(`${describeRevokeAll(await revokeEverything(ctx, actor, 'revoked by an administrator'))}\n`);
      return;
    }
    if (opts.session !== undefined) {
      const r = await revokeSessionById(ctx, opts.session, actor);
      if (!r) throw new CliError(`no session with id ${opts.session} (see idcenter sessions list)`, 254);
      out.write(
        `Revoked session ${opts.session}: its portal sign-in, refresh and access tokens stopped now; role credentials issued under it stop verifying within 60 s.\n`,
      );
      return;
    }
    const r = await revokeUserEverything(ctx, opts.user!, actor);
    if (!r) throw new CliError(`no user named "${opts.user}"`, 254);
    out.write(
      `Revoked everything ${opts.user} held: ${r.sessions.length} session(s) and their tokens stopped now; role credentials issued until now stop verifying within 60 s.\n`,
    );
  });
}

/** What `sessions revoke --all` (and `restore --revoke-issued-before-now`) did, in one sentence. */
export function describeRevokeAll(r: RevocationOutcome): string {
  return `Revoked everything issued until ${isoSeconds(r.at)}: ${r.sessions.length} live session(s) and every refresh and access token stopped now; every role credential issued until now stops verifying within 60 s on every server. Users may sign in again.`;
}

// ---- audit ----

/** CloudTrail's event names for the events that have an AWS counterpart. */
const EVENT_NAMES: Partial<Record<AuditAction, string>> = {
  'credentials.issue': 'GetRoleCredentials',
  'token.logout': 'Logout',
  'sts.signature_failure': 'GetCallerIdentity',
};

function parseDetail(detail: string | null): Record<string, unknown> | null {
  if (!detail) return null;
  try {
    return JSON.parse(detail) as Record<string, unknown>;
  } catch {
    return { raw: detail };
  }
}

/** A CloudTrail-like record of one audit event. */
export function toCloudTrail(e: StoredAuditEvent, region: string): Record<string, unknown> {
  const detail = parseDetail(e.detail);
  const [kind, id] = e.actor.includes(':')
    ? [e.actor.slice(0, e.actor.indexOf(':')), e.actor.slice(e.actor.indexOf(':') + 1)]
    : [e.actor, null];
  const userIdentity: Record<string, unknown> =
    kind === 'user'
      ? {
          type: 'IdentityCenterUser',
          principalId: id,
          ...(detail?.userName ? { userName: detail.userName } : {}),
        }
      : kind === 'key'
        ? { type: 'Unknown', accessKeyId: id }
        : {
            type: kind === 'cli' ? 'Administrator' : kind === 'system' ? 'AWSService' : 'Unknown',
            principalId: e.actor,
          };
  const failed = e.action.endsWith('failure');
  const repeats = repeatsOf(detail);
  return {
    eventVersion: '1.08',
    eventID: String(e.id),
    eventTime: new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: e.action.startsWith('sts.') ? 'sts.amazonaws.com' : 'idcenter',
    eventName: EVENT_NAMES[e.action as AuditAction] ?? e.action,
    idcenterAction: e.action,
    awsRegion: region,
    sourceIPAddress: e.source_ip,
    userIdentity,
    requestParameters: detail,
    responseElements: null,
    ...(failed && detail?.code ? { errorCode: detail.code, errorMessage: detail.reason ?? null } : {}),
    ...(repeats
      ? {
          additionalEventData: {
            eventCount: repeats.count,
            firstEventTime: repeats.first,
            lastEventTime: repeats.last,
            ...(repeats.overflow ? { fromOtherAddresses: true } : {}),
          },
        }
      : {}),
    requestID: e.request_id,
    resources: e.target_type ? [{ type: e.target_type, id: e.target_id }] : [],
    readOnly: false,
    eventType: 'AwsApiCall',
  };
}

/**
 * The count of a row that stands for repeated failures (`app/failure-audit.ts`): how many, the
 * first and last time, and whether they came from more addresses than were recorded one by one.
 */
function repeatsOf(
  detail: Record<string, unknown> | null,
): { count: number; first: string; last: string; overflow: boolean } | null {
  const r = detail?.repeated as { count?: unknown; first?: unknown; last?: unknown } | undefined;
  if (!r || typeof r.count !== 'number') return null;
  return {
    count: r.count,
    first: String(r.first),
    last: String(r.last),
    overflow: detail?.overflow === true,
  };
}

/** One human-readable line of an audit event; users by name where `names` knows them. */
export function formatAuditLine(e: StoredAuditEvent, names: ReadonlyMap<string, string> = new Map()): string {
  const userId = e.actor.startsWith('user:') ? e.actor.slice('user:'.length) : undefined;
  const actor = userId !== undefined && names.has(userId) ? `user:${names.get(userId)}` : e.actor;
  const targetId =
    e.target_type === 'USER' && e.target_id ? (names.get(e.target_id) ?? e.target_id) : e.target_id;
  const target = e.target_type ? ` ${e.target_type}${targetId ? `:${targetId}` : ''}` : '';
  const ip = e.source_ip ? ` from ${e.source_ip}` : '';
  const r = repeatsOf(parseDetail(e.detail));
  const repeats = r
    ? `  ×${r.count}${r.overflow ? ' from other addresses' : ''} (${r.first} to ${r.last})`
    : '';
  return `${new Date(e.at).toISOString()}  ${e.action}  ${actor}${target}${ip}${repeats}${e.detail ? `  ${e.detail}` : ''}`;
}

export async function runAuditTail(
  opts: StoreFlags & { lines: string; follow?: boolean; json?: boolean },
  out: NodeJS.WritableStream = process.stdout,
  signal?: AbortSignal,
): Promise<void> {
  if (!/^\d{1,6}$/.test(opts.lines)) throw new CliError('-n must be a whole number of events', 252);
  await withStore(opts, async ({ store }, config) => {
    const names = new Map<string, string>();
    const printAll = async (events: StoredAuditEvent[]) => {
      if (!opts.json) for (const [id, name] of await auditUserNames(store, events)) names.set(id, name);
      for (const e of events) {
        out.write(
          `${opts.json ? JSON.stringify(toCloudTrail(e, config.region)) : formatAuditLine(e, names)}\n`,
        );
      }
    };
    const first = await newestAuditEvents(store, Number(opts.lines));
    await printAll(first);
    if (!opts.follow) return;
    // Ids grow with inserts; on PostgreSQL a lower id can commit a moment after a higher one,
    // so each poll looks back a little and skips what it printed.
    let maxId = first.length > 0 ? Number(first[first.length - 1]!.id) : 0;
    if (first.length === 0) maxId = await lastAuditId(store);
    const printed = new Set<number>(first.map((e) => Number(e.id)));
    const stop = signal ?? interruptSignal();
    while (!stop.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      if (stop.aborted) break;
      const rows = await auditEventsAfter(store, maxId - 100, 1000);
      const fresh: StoredAuditEvent[] = [];
      for (const e of rows) {
        const id = Number(e.id);
        if (printed.has(id)) continue;
        printed.add(id);
        if (id > maxId) maxId = id;
        fresh.push(e);
      }
      await printAll(fresh);
      for (const id of printed) if (id < maxId - 1000) printed.delete(id);
    }
  });
}

/** Aborted on Ctrl-C or SIGTERM, so `audit tail --follow` closes the store and exits cleanly. */
function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const onSignal = () => {
    process.exitCode = 130;
    ac.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return ac.signal;
}

/**
 * `idcenter audit prune --older-than D [--dry-run]`: retention for the audit log. Progress goes
 * to stderr every chunk once the run is long; the result line to stdout.
 */
export async function runAuditPrune(
  opts: StoreFlags & { olderThan: string; dryRun?: boolean },
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; now: () => number } = {
    out: process.stdout,
    err: process.stderr,
    now: () => Date.now(),
  },
): Promise<void> {
  const before = io.now() - durationFlagMs('--older-than', opts.olderThan, '400d, 90d, 12h or P400D');
  const cutoff = isoSeconds(before);
  await withStore(opts, async ({ store }) => {
    if (opts.dryRun) {
      const n = await countAuditBefore(store, before);
      io.out.write(
        `Would delete ${n} audit event${n === 1 ? '' : 's'} older than ${cutoff}. Dry run: nothing was deleted.\n`,
      );
      return;
    }
    const n = await pruneAudit(store, {
      before,
      actor: 'cli:audit',
      now: io.now,
      onProgress: (deleted) => io.err.write(`deleted ${deleted} so far…\n`),
    });
    io.out.write(
      `Deleted ${n} audit event${n === 1 ? '' : 's'} older than ${cutoff}; the deletion is recorded as an audit.prune event.\n`,
    );
  });
}
