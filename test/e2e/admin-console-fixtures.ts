/**
 * Shared set-up of the admin console tests: an organization with an administrator (`root`,
 * assigned the administrators' permission set `AdminConsole`, AdministratorAccess), a read-only
 * administrator (`reader`, `ConsoleReader`, ReadOnlyAccess), a person who is not one (`bob`),
 * and helpers to read pages and post forms as a signed-in browser would.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { Page, Response as PageResponse } from 'playwright-core';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { ssoPermissionSetArn } from '../../src/domain/iam/arn.ts';
import {
  ADMIN_ORG,
  instanceArn,
  roleCredentials,
  ssoAdminClient,
  startAdminServer,
} from '../helpers/admin.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type SeededOrg, type SeedOrgSpec, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.ts';
import type { StoreKind } from '../helpers/stores.ts';
import type { RoleCredentials } from '../helpers/sts.ts';
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
  await makeAdministrators(
    deps,
    org.permissionSets.AdminConsole ?? '',
    'arn:aws:iam::aws:policy/AdministratorAccess',
  );
  await makeAdministrators(
    deps,
    org.permissionSets.ConsoleReader ?? '',
    'arn:aws:iam::aws:policy/ReadOnlyAccess',
  );
  return org;
}

/** Makes a permission set an administrators' one, with a managed policy and an inline one if given. */
export async function makeAdministrators(
  deps: ServerDeps,
  permissionSetId: string,
  managedPolicyArn: string,
  inlinePolicy?: object,
): Promise<void> {
  await deps.ctx.store.db
    .updateTable('permission_sets')
    .set({ administrators: 1, ...(inlinePolicy ? { inline_policy: JSON.stringify(inlinePolicy) } : {}) })
    .where('id', '=', permissionSetId)
    .execute();
  await deps.ctx.store.db
    .insertInto('ps_managed_policies')
    .values({ permission_set_id: permissionSetId, arn: managedPolicyArn })
    .execute();
}

/**
 * A server (`options`) with the base organization and `extra` seeded, then `also` run on it;
 * `admin` is `root` signed in.
 */
export async function startConsoleServer(
  options: TestServerOptions & {
    extra?: SeedOrgSpec;
    also?: (deps: ServerDeps, org: SeededOrg) => Promise<void>;
  } = {},
): Promise<{ server: TestServer; org: SeededOrg; admin: ConsoleClient }> {
  const { extra, also, ...serverOptions } = options;
  let org: SeededOrg | undefined;
  const server = await startTestServer({
    ...serverOptions,
    seed: async (deps) => {
      org = await seedConsoleOrg(deps, extra);
      await also?.(deps, org);
    },
  });
  if (!org) throw new Error('the console organization was not seeded');
  return { server, org, admin: await ConsoleClient.as(server.url, server.deps, org.users.root ?? '') };
}

/** Every page of the console, one of each kind in the base organization. */
export function consolePages(org: SeededOrg): string[] {
  return [
    '/admin/users',
    `/admin/users/${org.users.alice}`,
    '/admin/groups',
    `/admin/groups/${org.groups.Developers}`,
    '/admin/accounts',
    `/admin/accounts/${PROD}`,
    '/admin/permission-sets',
    `/admin/permission-sets/${org.permissionSets.ReadOnly}`,
    '/admin/sessions',
    '/admin/audit',
  ];
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

/**
 * The paging links of the list whose pager is labelled `label` (a page with two lists), or of
 * the whole page when no label is given.
 */
function pagerOf(page: string, label: string | undefined): string {
  if (label === undefined) return page;
  return new RegExp(`<nav class="pager" aria-label="${label}">[\\s\\S]*?</nav>`).exec(page)?.[0] ?? '';
}

/**
 * Follows a paged list's `rel="next"` or `rel="prev"` links from `path` to the end (only those
 * setting `param`, when given, and only in the pager labelled `label`, when given), returning
 * every page's rows (read by `rows`) in the order visited and the path of the last page.
 */
export async function walkPages(
  client: ConsoleClient,
  path: string,
  rel: 'next' | 'prev',
  rows: (page: string) => string[],
  param?: string,
  label?: string,
): Promise<{ pages: string[][]; last: string; lastBody: string }> {
  // On a page with two lists, the links of one are those that set its paging parameter.
  const link = new RegExp(
    `<a [^>]*rel="${rel}" href="([^"]*${param === undefined ? '' : `[?&;]${param}=[^"]*`})"`,
  );
  const pages: string[][] = [];
  let at: string | undefined = path;
  let last = path;
  let lastBody = '';
  while (at) {
    const res = await client.get(at);
    if (res.status !== 200) throw new Error(`${at} answered ${res.status}`);
    lastBody = await res.text();
    pages.push(rows(lastBody));
    last = at;
    at = link.exec(pagerOf(lastBody, label))?.[1]?.replace(/&amp;/g, '&') || undefined;
    if (pages.length > 1000) throw new Error(`${path}: the ${rel} links do not end`);
  }
  return { pages, last, lastBody };
}

/**
 * Walks a list to its end and back: the pages read back are the pages read on, reversed. On a
 * page with two lists, `params` name the list's paging parameters and `label` its pager.
 */
export async function assertPagesBothWays(
  client: ConsoleClient,
  path: string,
  rows: (page: string) => string[],
  params?: { next: string; prev: string; label?: string },
): Promise<string[][]> {
  const on = await walkPages(client, path, 'next', rows, params?.next, params?.label);
  const back = await walkPages(client, on.last, 'prev', rows, params?.prev, params?.label);
  if (JSON.stringify(back.pages) !== JSON.stringify([...on.pages].reverse()))
    throw new Error(
      `${path}: read back, the pages differ:\n${JSON.stringify(back.pages)}\n${JSON.stringify(on.pages)}`,
    );
  // Back at the start: no way further back.
  if (/rel="prev"|>First page</.test(pagerOf(back.lastBody, params?.label)))
    throw new Error(`${path}: the first page links back`);
  return on.pages;
}

/**
 * The console's permission set pages in chromium: a server with the admin APIs' organization
 * (`ADMIN_ORG`, also written as the data dir's `org.yaml` for `apply` and `export`), its
 * Developer permission set (id and ARN), alice (Administrator) signed in to the console in a
 * fresh browser and as a `ConsoleClient`, and an sso-admin client with her credentials to
 * confirm what the console changed. `pageErrors` collects the page's script errors.
 */
export interface PermissionSetConsole {
  server: TestServer;
  browser: TestBrowser;
  page: Page;
  pageErrors: string[];
  credentials: RoleCredentials;
  sso: SSOAdminClient;
  instanceArn: string;
  devId: string;
  devArn: string;
  aliceId: string;
  alice: ConsoleClient;
  userIdOf(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPermissionSetConsole(kind: StoreKind): Promise<PermissionSetConsole> {
  const server = await startAdminServer(kind);
  try {
    fs.writeFileSync(path.join(server.config.dataDir, 'org.yaml'), ADMIN_ORG);
    const db = server.deps.ctx.store.db;
    const userIdOf = async (name: string) =>
      (
        await db
          .selectFrom('users')
          .select('id')
          .where('user_name_lower', '=', name)
          .executeTakeFirstOrThrow()
      ).id;
    const aliceId = await userIdOf('alice');
    const devId = (
      await db
        .selectFrom('permission_sets')
        .select('id')
        .where('name', '=', 'Developer')
        .executeTakeFirstOrThrow()
    ).id;
    const inst = await instanceArn(server);
    const credentials = await roleCredentials(server, 'alice', 'Administrator');
    const alice = await ConsoleClient.as(server.url, server.deps, aliceId);
    const who = await signIn(server.deps, aliceId);
    const browser = await launchBrowser();
    browser.context.setDefaultTimeout(15_000);
    await browser.context.addCookies([{ name: who.cookieName, value: who.token, url: server.url }]);
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    return {
      server,
      browser,
      page,
      pageErrors,
      credentials,
      sso: ssoAdminClient(server.url, credentials),
      instanceArn: inst,
      devId,
      devArn: ssoPermissionSetArn(inst.slice(inst.lastIndexOf('/') + 1), devId),
      aliceId,
      alice,
      userIdOf,
      async stop() {
        await browser.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * Does `act` in `page`, which sends a form: the answer to the POST, once the page it leads to
 * (after the redirect) is loaded.
 */
export async function formPosted(page: Page, act: () => Promise<unknown>): Promise<PageResponse> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.waitForNavigation(),
    act(),
  ]);
  return response;
}
