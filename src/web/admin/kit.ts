/**
 * What every admin console route uses: who the administrator is (a signed-in portal session of
 * a user assigned an administrators' permission set; anyone else is answered 403, and a browser
 * without a session goes to sign-in and comes back), the CSRF check of every form, reading query
 * parameters and form fields with their limits, and the answers (a page, a redirect after a
 * change, a refusal page).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  assertConsoleMay,
  type ConsoleAct,
  type ConsoleAdmin,
  consoleAdmin,
  consoleMay,
} from '../../app/admin/console-authority.ts';
import type { AdminWho } from '../../app/admin/who.ts';
import type { ServerDeps } from '../../app/server-deps.ts';
import { DomainError, isDomainError } from '../../domain/errors.ts';
import { verifyCsrf } from '../csrf.ts';
import type { Html } from '../html.ts';
import { messagePage } from '../message-page.ts';
import { webPath } from '../paths.ts';
import { formFields } from '../request-text.ts';
import { sendPage } from '../security.ts';
import { currentSession, type PortalSessionInfo, redirectToSignIn } from '../session.ts';
import { adminPage, type Section } from './shell.ts';

/** Rows on a page of every list. */
export const PAGE_SIZE = 50;

/** Longest text a search or a paging key may be. */
const MAX_QUERY = 128;

/** The administrator of a request: their portal session and what their permission sets allow. */
export interface AdminView {
  session: PortalSessionInfo;
  admin: ConsoleAdmin;
}

export class AdminKit {
  readonly deps: ServerDeps;
  readonly prefix: string;

  constructor(deps: ServerDeps, prefix: string) {
    this.deps = deps;
    this.prefix = prefix;
  }

  get ctx() {
    return this.deps.ctx;
  }

  /** The administrator viewing a page, or null when the answer (sign-in, 403) is sent. */
  async viewer(request: FastifyRequest, reply: FastifyReply): Promise<AdminView | null> {
    const session = await currentSession(request, this.deps);
    if (!session) {
      redirectToSignIn(reply, this.prefix, request.method === 'GET' ? request.url : '/admin');
      return null;
    }
    const admin = await consoleAdmin(this.ctx, session, this.deps.config.partition);
    if (!admin) {
      this.refusal(
        reply,
        403,
        'Administrators only',
        'The admin console is for administrators: people assigned one of the administrators’ permission sets (the organization file’s administrators.permissionSets, or idcenter admin grant on the server). Ask an administrator if you need access.',
        session,
        true,
      );
      return null;
    }
    return { session, admin };
  }

  /** The administrator posting a form, its CSRF token checked; null when the answer is sent. */
  async actor(request: FastifyRequest, reply: FastifyReply): Promise<AdminView | null> {
    const view = await this.viewer(request, reply);
    if (!view) return null;
    const { session } = view;
    if (!verifyCsrf(request, session)) {
      this.refusal(
        reply,
        403,
        'This form has expired',
        'The form did not come from your current session, so nothing was changed. Open the page again and retry.',
        session,
      );
      return null;
    }
    return view;
  }

  /**
   * Throws `access_denied` (a 403 page naming the action) unless the administrator's permission
   * sets allow the admin API call `act` stands for (`console-authority.ts`). A denial is audited
   * as the admin APIs audit theirs (`admin.access_denied`).
   */
  async require(request: FastifyRequest, view: AdminView, act: ConsoleAct): Promise<void> {
    try {
      assertConsoleMay(view.admin, act, this.facts(request), this.ctx.clock.now());
    } catch (err) {
      if (!isDomainError(err, 'access_denied')) throw err;
      this.deps.metrics.securityEvents.labels('admin_access_denied').inc();
      await this.deps.credentials.audit
        .write({
          at: this.ctx.clock.now(),
          actor: `user:${view.session.userId}`,
          action: 'admin.access_denied',
          targetType: 'ADMIN_CONSOLE',
          targetId: act.op,
          detail: { via: 'admin-console', message: err.message },
          sourceIp: request.ip ?? null,
          requestId: String(request.id),
        })
        .catch((e: unknown) =>
          request.log.error({ err: e }, 'cannot write the audit event of a denied change'),
        );
      throw err;
    }
  }

  /** True when `require` would allow `act` (to offer only the controls that work). */
  may(request: FastifyRequest, view: AdminView, act: ConsoleAct): boolean {
    return consoleMay(view.admin, act, this.facts(request), this.ctx.clock.now());
  }

  /** What the request adds to the caller, as the admin APIs read it. */
  facts(request: FastifyRequest) {
    return {
      region: this.deps.config.region,
      sourceIp: request.ip ?? '',
      secureTransport: this.deps.config.publicUrl.startsWith('https:'),
    };
  }

  /** Who an audit row names for a change made here. */
  who(request: FastifyRequest, session: PortalSessionInfo): AdminWho {
    return {
      actor: `user:${session.userId}`,
      via: 'admin-console',
      sourceIp: request.ip ?? '',
      requestId: String(request.id),
    };
  }

  send(
    reply: FastifyReply,
    session: PortalSessionInfo,
    section: Section,
    title: string,
    body: Html,
    status = 200,
  ): FastifyReply {
    return sendPage(reply, adminPage({ prefix: this.prefix, session, section, title, body }), status);
  }

  /** After a change: back to `path` (an app path) with a notice key. */
  done(reply: FastifyReply, path: string, notice: string): FastifyReply {
    const sep = path.includes('?') ? '&' : '?';
    return reply
      .header('cache-control', 'no-store')
      .redirect(webPath(this.prefix, `${path}${sep}done=${encodeURIComponent(notice)}`), 303);
  }

  /** A short page saying why not, with a way back to the console (or to the portal). */
  refusal(
    reply: FastifyReply,
    status: number,
    title: string,
    message: string,
    session: PortalSessionInfo | null = null,
    toPortal = false,
  ): FastifyReply {
    return toPortal
      ? messagePage(reply, this.prefix, status, title, message, session)
      : messagePage(
          reply,
          this.prefix,
          status,
          title,
          message,
          session,
          'Back to the admin console',
          '/admin/users',
        );
  }

  /** A page's query parameters (checked as text by the area's hook). */
  query(request: FastifyRequest): QueryReader {
    return new QueryReader(request.query as Record<string, unknown>);
  }

  /** A form field: required unless `optional`, at most `max` characters, trimmed. */
  field(request: FastifyRequest, name: string, label: string, max: number, optional = false): string {
    const all = formFields(request).getAll(name);
    if (all.length > 1) throw bad(`The form has ${label} more than once.`);
    const value = (all[0] ?? '').trim();
    if (!optional && value === '') throw bad(`${capital(label)} is missing.`);
    if ([...value].length > max) throw bad(`${capital(label)} is too long (at most ${max} characters).`);
    return value;
  }

  /**
   * A form field as sent, not trimmed (a hidden field naming stored text, such as a tag key,
   * whose spaces are part of it): required, at most `max` characters.
   */
  exactField(request: FastifyRequest, name: string, label: string, max: number): string {
    const all = formFields(request).getAll(name);
    if (all.length > 1) throw bad(`The form has ${label} more than once.`);
    const value = all[0] ?? '';
    if (value === '') throw bad(`${capital(label)} is missing.`);
    if ([...value].length > max) throw bad(`${capital(label)} is too long (at most ${max} characters).`);
    return value;
  }

  /**
   * Where a two-way list's page started, as a form carries it back to that page (hidden fields
   * named as the page's query parameters, read as `QueryReader.keys` reads those): `after` a key
   * or `before` one, not both.
   */
  formKeys(request: FastifyRequest, afterName = 'after', beforeName = 'before'): PageKeys {
    const after = this.field(request, afterName, 'the page key', MAX_QUERY, true) || undefined;
    const before = this.field(request, beforeName, 'the page key', MAX_QUERY, true) || undefined;
    if (after !== undefined && before !== undefined)
      throw bad('The form has two page keys; nothing was changed.');
    return { after, before };
  }

  /** Where the two lists of a page started, as a form carries it back (`formKeys` of each). */
  formPosition(request: FastifyRequest): TwoListsAt {
    return { list: this.formKeys(request), groups: this.formKeys(request, 'groups-after', 'groups-before') };
  }

  /** A form field naming something by id: required and of the id's shape. */
  idField(request: FastifyRequest, name: string, label: string, shape: RegExp): string {
    const value = this.field(request, name, label, 128);
    if (!shape.test(value)) throw bad(`The form names no ${label} that exists.`);
    return value;
  }
}

export class QueryReader {
  readonly #q: Record<string, unknown>;
  constructor(q: Record<string, unknown>) {
    this.#q = q;
  }
  /** A text parameter of at most 128 characters; '' when absent. */
  text(name: string, label: string): string {
    const v = this.#q[name];
    if (v === undefined) return '';
    if (typeof v !== 'string') throw bad(`The page was asked for with ${label} more than once.`);
    if ([...v].length > MAX_QUERY)
      throw bad(`${capital(label)} is too long (at most ${MAX_QUERY} characters).`);
    return v.trim();
  }
  /** An id parameter, or undefined when absent; one that `pattern` refuses cannot exist (400). */
  id(name: string, label: string, pattern: RegExp): string | undefined {
    const v = this.text(name, label);
    if (v === '') return undefined;
    if (!pattern.test(v)) throw bad(`The page was asked for with ${label} that cannot exist.`);
    return v;
  }
  /** A paging key, or undefined. */
  key(name = 'after'): string | undefined {
    const v = this.text(name, 'the page key');
    return v === '' ? undefined : v;
  }
  /**
   * Where a two-way list's page starts: `after` a key or `before` one, not both (a page with two
   * lists names the second's parameters).
   */
  keys(afterName = 'after', beforeName = 'before'): PageKeys {
    const after = this.key(afterName);
    const before = this.key(beforeName);
    if (after !== undefined && before !== undefined)
      throw bad('The page was asked for with two page keys; follow one of the paging links.');
    return { after, before };
  }
  /** Where the two lists of a page start (`keys` of each). */
  position(): TwoListsAt {
    return { list: this.keys(), groups: this.keys('groups-after', 'groups-before') };
  }
}

/** Where a two-way list's page starts: `after` a key or `before` one, not both. */
export interface PageKeys {
  after: string | undefined;
  before: string | undefined;
}

/**
 * Where the pages of a page with two lists start: the list paged by `after`/`before` (the users
 * of an account and permission set, what a user reaches) and the groups beside it, paged by
 * `groups-after`/`groups-before`. Paging one list keeps the other where it is.
 */
export interface TwoListsAt {
  list: PageKeys;
  groups: PageKeys;
}

/** The query parameters of a position (`after`/`before` the list's, `groups-…` the groups'). */
export function positionParams(at: TwoListsAt): Record<string, string | undefined> {
  return {
    after: at.list.after,
    before: at.list.before,
    'groups-after': at.groups.after,
    'groups-before': at.groups.before,
  };
}

/** An app path with the parameters that are set as its query (a form going back to a page). */
export function pathWith(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Bad input: answered 400 with this message, nothing changed. */
export function bad(message: string): DomainError {
  return new DomainError('invalid_request', message);
}

/** Ids of users and groups (UUIDs, or identity-store ids), permission sets, accounts, sessions, OUs. */
export const ID = {
  directory: /^[A-Za-z0-9-]{1,64}$/,
  permissionSet: /^ps-[0-9a-f]{16}$/,
  account: /^\d{12}$/,
  session: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  /** An OU, or `root` for the accounts directly under the root. */
  ou: /^(?:root|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})$/,
} as const;
