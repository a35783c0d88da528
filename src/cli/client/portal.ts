/**
 * The SSO portal API (restJson1, bearer token in `x-amz-sso_bearer_token`): ListAccounts,
 * ListAccountRoles, GetRoleCredentials, Logout (docs/wire-protocols.md, "Portal API"), and
 * idcenter's discovery extension that returns every account with its roles in one call.
 */
import { type HttpClient, joinUrl, restJson, ServiceError } from './http.ts';

export interface AccountInfo {
  accountId: string;
  accountName?: string;
  emailAddress?: string;
}

export interface RoleInfo {
  accountId: string;
  roleName: string;
}

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}

/**
 * Every account with its roles (the discovery extension's answer, or assembled from pages);
 * `access: 'aws'` marks a federated account of an idcenter server, whose credentials are real
 * AWS ones.
 */
export interface AccessMap {
  accounts: (AccountInfo & { roles: string[]; access?: 'aws' })[];
}

const BEARER = 'x-amz-sso_bearer_token';

export class PortalClient {
  private readonly http: HttpClient;
  readonly endpoint: string;
  private readonly token: string;
  constructor(http: HttpClient, endpoint: string, accessToken: string) {
    this.http = http;
    this.endpoint = endpoint;
    this.token = accessToken;
  }

  private get(operation: string, path: string, query: Record<string, string | undefined>) {
    return restJson(this.http, {
      method: 'GET',
      url: joinUrl(this.endpoint, path, query),
      operation,
      headers: { [BEARER]: this.token },
    });
  }

  /** One page of ListAccounts. */
  async listAccountsPage(nextToken?: string): Promise<{ accounts: AccountInfo[]; nextToken?: string }> {
    const op = 'ListAccounts';
    const res = await this.get(op, '/assignment/accounts', { max_result: '100', next_token: nextToken });
    const list = Array.isArray(res.accountList) ? res.accountList : [];
    const accounts: AccountInfo[] = [];
    for (const a of list as Record<string, unknown>[]) {
      if (!a || typeof a.accountId !== 'string') continue;
      const info: AccountInfo = { accountId: a.accountId };
      if (typeof a.accountName === 'string') info.accountName = a.accountName;
      if (typeof a.emailAddress === 'string') info.emailAddress = a.emailAddress;
      accounts.push(info);
    }
    const nt = typeof res.nextToken === 'string' && res.nextToken !== '' ? res.nextToken : undefined;
    return nt ? { accounts, nextToken: nt } : { accounts };
  }

  /** One page of ListAccountRoles. */
  async listAccountRolesPage(
    accountId: string,
    nextToken?: string,
  ): Promise<{ roles: RoleInfo[]; nextToken?: string }> {
    const op = 'ListAccountRoles';
    const res = await this.get(op, '/assignment/roles', {
      account_id: accountId,
      max_result: '100',
      next_token: nextToken,
    });
    const list = Array.isArray(res.roleList) ? res.roleList : [];
    const roles: RoleInfo[] = [];
    for (const r of list as Record<string, unknown>[]) {
      if (r && typeof r.roleName === 'string') roles.push({ accountId, roleName: r.roleName });
    }
    const nt = typeof res.nextToken === 'string' && res.nextToken !== '' ? res.nextToken : undefined;
    return nt ? { roles, nextToken: nt } : { roles };
  }

  async listAllAccounts(): Promise<AccountInfo[]> {
    return paginate(
      (t) => this.listAccountsPage(t).then((p) => ({ items: p.accounts, next: p.nextToken })),
      'ListAccounts',
    );
  }

  async listAllRoles(accountId: string): Promise<RoleInfo[]> {
    return paginate(
      (t) => this.listAccountRolesPage(accountId, t).then((p) => ({ items: p.roles, next: p.nextToken })),
      'ListAccountRoles',
    );
  }

  async getRoleCredentials(accountId: string, roleName: string): Promise<RoleCredentials> {
    const op = 'GetRoleCredentials';
    const res = await this.get(op, '/federation/credentials', { role_name: roleName, account_id: accountId });
    const c = res.roleCredentials as Record<string, unknown> | undefined;
    if (
      !c ||
      typeof c.accessKeyId !== 'string' ||
      typeof c.secretAccessKey !== 'string' ||
      typeof c.sessionToken !== 'string' ||
      typeof c.expiration !== 'number'
    ) {
      throw new ServiceError(op, 'InvalidResponse', 200, 'the response has no complete roleCredentials');
    }
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiration: c.expiration,
    };
  }

  /**
   * idcenter's console extension: a one-time link that signs a browser in to the AWS Management
   * Console as the role (within a minute, once).
   */
  async consoleLink(
    accountId: string,
    roleName: string,
    destination?: string,
  ): Promise<{ url: string; expiresAt: number }> {
    const op = 'CreateConsoleLink';
    const res = await restJson(this.http, {
      method: 'POST',
      url: joinUrl(this.endpoint, '/idcenter/v1/console'),
      operation: op,
      headers: { [BEARER]: this.token, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId, roleName, ...(destination === undefined ? {} : { destination }) }),
    });
    if (typeof res.url !== 'string' || typeof res.expiresAt !== 'number') {
      throw new ServiceError(op, 'InvalidResponse', 200, 'the response has no url');
    }
    return { url: res.url, expiresAt: res.expiresAt };
  }

  /**
   * Whether the server still accepts the token: one ListAccounts page of a single account, the
   * cheapest call every portal answers. False only when the server says the token is not valid
   * (401 UnauthorizedException); other failures are thrown, since they say nothing of the token.
   */
  async acceptsToken(): Promise<boolean> {
    try {
      await this.get('ListAccounts', '/assignment/accounts', { max_result: '1' });
      return true;
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'UnauthorizedException') return false;
      throw err;
    }
  }

  async logout(): Promise<void> {
    await restJson(this.http, {
      method: 'POST',
      url: joinUrl(this.endpoint, '/logout'),
      operation: 'Logout',
      headers: { [BEARER]: this.token },
    });
  }

  /**
   * idcenter's discovery extension: every account and role in one call. Undefined when the
   * server does not offer it (any answer but 200 or 401), so callers fall back to the
   * standard API.
   */
  async discoverAccess(): Promise<AccessMap | undefined> {
    let res: Record<string, unknown>;
    try {
      res = await this.get('DiscoverAccess', '/idcenter/v1/access', {});
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'UnauthorizedException') throw err;
      if (err instanceof ServiceError) return undefined;
      throw err;
    }
    return parseAccessMap(res);
  }
}

/** Read the discovery answer defensively: `accounts: [{accountId, accountName, emailAddress, roles}]`. */
export function parseAccessMap(res: Record<string, unknown>): AccessMap | undefined {
  const list = Array.isArray(res.accounts)
    ? res.accounts
    : Array.isArray(res.accountList)
      ? res.accountList
      : undefined;
  if (!list) return undefined;
  const accounts: AccessMap['accounts'] = [];
  for (const a of list as Record<string, unknown>[]) {
    if (!a || typeof a.accountId !== 'string') continue;
    const rawRoles = Array.isArray(a.roles) ? a.roles : Array.isArray(a.roleList) ? a.roleList : [];
    const roles: string[] = [];
    for (const r of rawRoles as unknown[]) {
      if (typeof r === 'string') roles.push(r);
      else if (r && typeof r === 'object' && typeof (r as { roleName?: unknown }).roleName === 'string') {
        roles.push((r as { roleName: string }).roleName);
      }
    }
    const entry: AccessMap['accounts'][number] = { accountId: a.accountId, roles };
    if (typeof a.accountName === 'string') entry.accountName = a.accountName;
    if (typeof a.emailAddress === 'string') entry.emailAddress = a.emailAddress;
    if (a.access === 'aws') entry.access = 'aws';
    accounts.push(entry);
  }
  return { accounts };
}

async function paginate<T>(
  page: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  op: string,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const p = await page(token);
    out.push(...p.items);
    if (!p.next) return out;
    if (seen.has(p.next)) {
      throw new ServiceError(op, 'PaginationError', 200, 'the service returned the same page token twice');
    }
    seen.add(p.next);
    token = p.next;
  }
}
