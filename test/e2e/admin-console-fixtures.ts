/**
 * Shared set-up of the admin console tests: an organization with an administrator (`root`,
 * assigned the administrators' permission set `AdminConsole`, AdministratorAccess), a read-only
 * administrator (`reader`, `ConsoleReader`, ReadOnlyAccess), a person who is not one (`bob`),
 * and helpers to read pages and post forms as a signed-in browser would.
 */
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { type SeededOrg, type SeedOrgSpec, seedOrg } from '../helpers/seed.ts';
import { type SignedIn, signIn } from './portal-fixtures.ts';

export const PROD = '111111111111';
export const DEV = '222222222222';

/** The base organization; `extra` adds to it. */
export async function seedConsoleOrg(deps: ServerDeps, extra: SeedOrgSpec = {}): Promise<SeededOrg> {
  const org = await seedOrg(deps.ctx, {
    users: [
      { userName: 'root', displayName: 'Root Admin' },
      { userName: 'reader', displayName: 'Read Only Admin' },
      { userName: 'alice', displayName: 'Alice Doe', groups: ['Developers'] },
      { userName: 'bob', displayName: 'Bob Roe' },
      ...(extra.users ?? []),
    ],
    groups: [{ name: 'Developers', description: 'App developers' }, ...(extra.groups ?? [])],
    accounts: [{ id: PROD, name: 'Production' }, { id: DEV, name: 'Development' }, ...(extra.accounts ?? [])],
    permissionSets: [
      { name: 'AdminConsole' },
      { name: 'ConsoleReader' },
      { name: 'ReadOnly' },
      ...(extra.permissionSets ?? []),
    ],
    assignments: [
      { user: 'root', permissionSet: 'AdminConsole', accounts: [PROD] },
      { user: 'reader', permissionSet: 'ConsoleReader', accounts: [PROD] },
      { group: 'Developers', permissionSet: 'ReadOnly', accounts: [PROD, DEV] },
      { user: 'alice', permissionSet: 'ReadOnly', accounts: [DEV] },
      { user: 'bob', permissionSet: 'ReadOnly', accounts: [PROD] },
      ...(extra.assignments ?? []),
    ],
  });
  const admins: Array<[string, string]> = [
    [org.permissionSets.AdminConsole ?? '', 'arn:aws:iam::aws:policy/AdministratorAccess'],
    [org.permissionSets.ConsoleReader ?? '', 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
  ];
  for (const [id, arn] of admins) {
    await deps.ctx.store.db
      .updateTable('permission_sets')
      .set({ administrators: 1 })
      .where('id', '=', id)
      .execute();
    await deps.ctx.store.db
      .insertInto('ps_managed_policies')
      .values({ permission_set_id: id, arn })
      .execute();
  }
  return org;
}

export class ConsoleClient {
  readonly url: string;
  readonly who: SignedIn | null;
  constructor(url: string, who: SignedIn | null) {
    this.url = url;
    this.who = who;
  }
  static async as(url: string, deps: ServerDeps, userId: string): Promise<ConsoleClient> {
    return new ConsoleClient(url, await signIn(deps, userId));
  }
  get(path: string): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      redirect: 'manual',
      headers: this.who ? { cookie: this.who.cookie } : {},
    });
  }
  /** A form post; the session's CSRF token unless `csrf` says otherwise (null: none). */
  post(path: string, fields: Record<string, string>, csrf?: string | null): Promise<Response> {
    const body = new URLSearchParams(fields);
    const token = csrf === undefined ? this.who?.csrf : csrf;
    if (token !== null && token !== undefined) body.set('_csrf', token);
    return fetch(`${this.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(this.who ? { cookie: this.who.cookie } : {}),
      },
      body: body.toString(),
    });
  }
}

/** The rows of a page's table `id`, as the text of their first cells' links. */
export function firstCells(page: string, tableId: string): string[] {
  const table = new RegExp(`<table[^>]*id="${tableId}"[\\s\\S]*?</table>`).exec(page)?.[0] ?? '';
  return [...table.matchAll(/<tr>\s*<td[^>]*><a [^>]*>(?:<bdi>)?([^<]*)/g)].map((m) => m[1] ?? '');
}
