/**
 * Driving the `idcenter` client commands the way a person does: in a pseudo-terminal (python3's
 * stdlib pty, no native module), answering prompts, pressing arrow keys and Ctrl-C; approving
 * sign-ins in Debian's chromium; and seeding a server with a person who can sign in.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { hash } from '@node-rs/argon2';
import type { TestBrowser } from '../helpers/browser.ts';
import { registerDeviceClient } from '../helpers/oidc.ts';
import { type RunResult, run } from '../helpers/python.ts';
import { issueBearerToken, type SeededOrg, type SeedOrgSpec, seedOrg } from '../helpers/seed.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { StoreKind } from '../helpers/stores.ts';

export const BIN = path.resolve('bin/idcenter.js');
export const PASSWORD = 'correct horse battery staple';

/** Remove ANSI escape sequences (colours, cursor moves) from terminal output. */
export function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** Environment for the CLI and AWS tools: an isolated HOME, no AWS_* or IDCENTER_* from outside. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('IDCENTER_') || k === 'BROWSER' || k.startsWith('SSH_'))
      continue;
    if (k === 'DISPLAY' || k === 'WAYLAND_DISPLAY' || k === 'NODE_OPTIONS' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', ...extra };
}

export function tempHome(): { home: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-cli-'));
  return { home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Run the CLI without a terminal. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], {
    env,
    ...(input !== undefined ? { input } : {}),
    timeoutMs: 90_000,
  });
}

const PTY_BRIDGE = `
import fcntl, json, os, pty, select, signal, struct, sys, termios
argv = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 140, 0, 0))
    os.execvp(argv[0], argv)
stdin = sys.stdin.fileno()
stdin_open = True
out = sys.stdout.buffer
while True:
    fds = [fd, stdin] if stdin_open else [fd]
    r, _, _ = select.select(fds, [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        out.write(data)
        out.flush()
    if stdin_open and stdin in r:
        data = os.read(stdin, 65536)
        if not data:
            stdin_open = False
        else:
            os.write(fd, data)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
`;

/** A terminal's cursor position request (Device Status Report 6). */
const CURSOR_QUERY = '\u001b[6n';

/** A command running in a pseudo-terminal. */
export class PtySession {
  private readonly child: ChildProcessWithoutNullStreams;
  private raw = '';
  private consumed = 0;
  readonly exited: Promise<number>;
  private waiters: (() => void)[] = [];
  /** Where in `raw` the search for the next cursor position request starts. */
  private queriesSeenUpTo = 0;

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn('python3', ['-c', PTY_BRIDGE, JSON.stringify(argv)], {
      env: { ...env, TERM: 'xterm' },
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.raw += d.toString('utf8');
      this.answerCursorQueries();
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.raw += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        for (const w of this.waiters.splice(0)) w();
        resolve(code ?? -1);
      });
    });
  }

  /**
   * Answer each cursor position request (`ESC [ 6 n`) as a terminal does, with a position (the
   * top-left corner). prompt_toolkit, which draws the AWS CLI's menus, asks once per prompt and
   * otherwise waits for the answer before it reads keys, then warns and carries on.
   */
  private answerCursorQueries(): void {
    let at = this.raw.indexOf(CURSOR_QUERY, this.queriesSeenUpTo);
    while (at !== -1) {
      this.child.stdin.write('\u001b[1;1R');
      this.queriesSeenUpTo = at + CURSOR_QUERY.length;
      at = this.raw.indexOf(CURSOR_QUERY, this.queriesSeenUpTo);
    }
  }

  /** Everything printed so far, escape sequences included. */
  get rawText(): string {
    return this.raw;
  }

  /** Everything printed so far, without escape sequences. */
  get text(): string {
    return plain(this.raw);
  }

  /** Wait until the output after the last match contains `pattern`; returns the match. */
  async expect(pattern: string | RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const re =
      typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.consumed);
      const m = re.exec(rest);
      if (m) {
        this.consumed += m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`timed out waiting for ${re} in terminal output:\n${this.text}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Type text (use '\r' for Enter, '\u001b[B' for ↓, '\u0003' for Ctrl-C). */
  send(text: string): void {
    this.child.stdin.write(text);
  }

  /** Answer a prompt: wait for it, then type the answer and Enter. */
  async answer(prompt: string | RegExp, value: string): Promise<void> {
    await this.expect(prompt);
    this.send(`${value}\r`);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export function startPty(args: string[], env: NodeJS.ProcessEnv): PtySession {
  return new PtySession([process.execPath, BIN, ...args], env);
}

/**
 * Complete a sign-in in the browser from the URL the CLI printed or opened: user name, password,
 * device code confirmation, then Allow.
 */
export async function approveInBrowser(browser: TestBrowser, url: string, userName: string): Promise<string> {
  const page = await browser.context.newPage();
  try {
    await page.goto(url);
    for (let step = 0; step < 10; step++) {
      await page.waitForLoadState();
      if (page.url().includes('/oauth/callback')) return (await page.textContent('body')) ?? '';
      const allow = page.getByRole('button', { name: 'Allow' });
      if (await allow.count()) {
        await allow.click();
        await page.waitForLoadState();
        return (await page.textContent('body')) ?? '';
      }
      if (await page.locator('#user_name').count()) {
        await page.fill('#user_name', userName);
        await page.getByRole('button', { name: 'Next' }).click();
      } else if (await page.locator('#password').count()) {
        await page.fill('#password', PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
      } else if (await page.locator('#user_code').count()) {
        await page.getByRole('button', { name: 'Next' }).click();
      } else {
        throw new Error(`unexpected page ${page.url()}: ${(await page.textContent('body'))?.slice(0, 300)}`);
      }
    }
    throw new Error('sign-in did not finish');
  } finally {
    await page.close();
  }
}

/** A BROWSER command that records the URLs it is asked to open, one per line. */
export function fakeBrowser(dir: string): { command: string; urls(): string[] } {
  const log = path.join(dir, 'opened-urls');
  const script = path.join(dir, 'fake-browser.sh');
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`, { mode: 0o755 });
  return {
    command: script,
    urls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
  };
}

export async function waitFor<T>(fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const DEV = '111111111111';
export const PROD = '222222222222';

/** A person `alice` (with a password) who may use Admin in Dev and Prod and ReadOnly in Dev. */
export const SMALL_ORG: SeedOrgSpec = {
  users: [{ userName: 'alice' }],
  accounts: [
    { id: DEV, name: 'Dev', email: 'dev@example.com' },
    { id: PROD, name: 'prod', email: 'prod@example.com' },
  ],
  permissionSets: [{ name: 'Admin' }, { name: 'ReadOnly' }],
  assignments: [
    { user: 'alice', permissionSet: 'Admin', accounts: [DEV, PROD] },
    { user: 'alice', permissionSet: 'ReadOnly', accounts: [DEV] },
  ],
};

/**
 * The organization the AWS CLI v2 runs use: `alice` (with `passwordHash`) in Developers, which
 * may use ReadOnly in Production (111111111111) and Staging (222222222222), and Admin of her own
 * in Staging; `more` accounts are added with no assignment.
 */
export function developersOrg(
  passwordHash: string,
  more: Array<{ id: string; name: string }> = [],
): SeedOrgSpec {
  const production = '111111111111';
  const staging = '222222222222';
  return {
    groups: [{ name: 'Developers' }],
    users: [{ userName: 'alice', groups: ['Developers'], passwordHash }],
    accounts: [{ id: production, name: 'Production' }, { id: staging, name: 'Staging' }, ...more],
    permissionSets: [{ name: 'ReadOnly', sessionHours: 1 }, { name: 'Admin' }],
    assignments: [
      { group: 'Developers', permissionSet: 'ReadOnly', accounts: [production, staging] },
      { user: 'alice', permissionSet: 'Admin', accounts: [staging] },
    ],
  };
}

/**
 * The AWS CLI's own account and role menus in `aws configure sso`, for `developersOrg`: Staging
 * (the second account: ↓ Enter), then its first role (Enter). Returns the role the CLI took.
 */
export async function chooseStagingFirstRole(term: PtySession): Promise<string | undefined> {
  await term.expect('There are 2 AWS accounts available to you.');
  await term.expect('222222222222');
  term.send('\u001b[B\r');
  await term.expect('Using the account ID 222222222222');
  await term.expect('There are 2 roles available to you.');
  await term.expect('ReadOnly');
  term.send('\r');
  return (await term.expect(/Using the role name "(\w+)"/))[1];
}

export async function startSeededServer(
  store: StoreKind,
  spec: SeedOrgSpec = SMALL_ORG,
): Promise<{ server: TestServer; org: SeededOrg }> {
  let org: SeededOrg | undefined;
  const passwordHash = await hash(PASSWORD);
  const server = await startTestServer({
    store,
    seed: async (deps) => {
      org = await seedOrg(deps.ctx, {
        ...spec,
        users: (spec.users ?? []).map((u) => ({ ...u, passwordHash })),
      });
    },
  });
  return { server, org: org as SeededOrg };
}

/** What the CLI tests of a signed-in person start from; set once the suite's `before` ran. */
export interface SignedInCli {
  server: TestServer;
  org: SeededOrg;
  home: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Registers the suite's hooks: a seeded server, a temporary home whose config has `profiles`
 * under sso-session `corp`, and alice signed in there without a browser; both go after.
 */
export function signedInCli(store: StoreKind, profiles: Record<string, Record<string, string>>): SignedInCli {
  const cli = {} as SignedInCli;
  let cleanup: (() => void) | undefined;
  before(async () => {
    const { server, org } = await startSeededServer(store);
    const temp = tempHome();
    cleanup = temp.cleanup;
    Object.assign(cli, { server, org, home: temp.home, env: cliEnv(temp.home) });
    writeConfig(cli.home, sessionConfig(server, profiles));
    await signInWithoutBrowser(server, org.users.alice as string, cli.home);
  });
  after(async () => {
    cleanup?.();
    await cli.server?.stop();
  });
  return cli;
}

export interface SignedInHome {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
  familyId: string;
  tokenFile: string;
}

/** SHA-1 hex, as botocore names cache files. */
export function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/**
 * What a finished login leaves behind, without a browser: a registered client, a token family
 * for the user, and the token cache file for sso-session `session` (botocore's format).
 */
export async function signInWithoutBrowser(
  server: TestServer,
  userId: string,
  home: string,
  options: { session?: string; startUrl?: string; expiresAt?: number; refreshToken?: string } = {},
): Promise<SignedInHome> {
  const reg = await registerDeviceClient(server.url);
  const tokens = await issueBearerToken(server.deps.ctx, { userId, clientId: reg.clientId });
  const session = options.session ?? 'corp';
  const dir = path.join(home, '.aws', 'sso', 'cache');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokenFile = path.join(dir, `${sha1(session)}.json`);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  fs.writeFileSync(
    tokenFile,
    JSON.stringify({
      startUrl: options.startUrl ?? `${server.url}/start`,
      region: 'us-east-1',
      accessToken: tokens.accessToken,
      expiresAt: iso(options.expiresAt ?? tokens.accessExpiresAt),
      clientId: reg.clientId,
      clientSecret: reg.clientSecret,
      registrationExpiresAt: iso(Date.now() + 80 * 86_400_000),
      refreshToken: options.refreshToken ?? tokens.refreshToken,
    }),
    { mode: 0o600 },
  );
  return { ...reg, ...tokens, tokenFile };
}

/** A config with sso-session `corp` and a [services] block pointing at the server. */
export function sessionConfig(server: TestServer, profiles: Record<string, Record<string, string>>): string {
  const lines: string[] = [];
  for (const [name, keys] of Object.entries(profiles)) {
    lines.push(name === 'default' ? '[default]' : `[profile ${name}]`);
    for (const [k, v] of Object.entries(keys)) lines.push(`${k} = ${v}`);
  }
  lines.push(
    '[sso-session corp]',
    `sso_start_url = ${server.url}/start`,
    'sso_region = us-east-1',
    'sso_registration_scopes = sso:account:access',
    '[services local]',
    'sso =',
    `  endpoint_url = ${server.url}`,
    'sso_oidc =',
    `  endpoint_url = ${server.url}`,
    'sts =',
    `  endpoint_url = ${server.url}`,
  );
  return `${lines.join('\n')}\n`;
}

export function writeConfig(home: string, text: string): string {
  const file = path.join(home, '.aws', 'config');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}
