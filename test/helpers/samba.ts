/**
 * Samba as an Active Directory domain controller for tests: provisioned into a temporary
 * directory (every runtime path inside it), started in the foreground on a loopback address of
 * its own (AD's LDAP ports are fixed, so parallel DCs differ by address), LDAPS with a
 * certificate for that address from a test CA. Provisioning takes 5–20 s: do it once per file.
 * Stop it with `stop()` (by its PID).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';
import { makeTestCa } from './slapd.ts';

export const AD_BASE = 'DC=idc,DC=test';
export const AD_ADMIN_DN = `CN=Administrator,CN=Users,${AD_BASE}`;
export const AD_ADMIN_PASSWORD = 'Admin-Pass-123!';
export const PEOPLE_OU = `OU=People,${AD_BASE}`;
export const GROUPS_OU = `OU=Groups,${AD_BASE}`;

export interface SambaDc {
  address: string;
  url: string;
  caFile: string;
  /** `samba-tool <args>` against this DC's database. */
  tool(args: string[], options?: { faketime?: string }): string;
  userDn(name: string): string;
  stop(): Promise<void>;
}

export async function startSambaDc(): Promise<SambaDc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-samba-'));
  const address = `127.${randomInt(1, 250)}.${randomInt(0, 250)}.${randomInt(2, 250)}`;
  const tls = path.join(dir, 'tls');
  fs.mkdirSync(tls);
  fs.mkdirSync(path.join(dir, 'run'));
  const tlsFiles = makeTestCa(tls, 'ca', { host: address, serverKey: 'rsa' });
  fs.chmodSync(tlsFiles.key, 0o600);
  execFileSync(
    'samba-tool',
    [
      'domain',
      'provision',
      '--realm=IDC.TEST',
      '--domain=IDC',
      '--server-role=dc',
      '--dns-backend=NONE',
      '--use-rfc2307',
      `--adminpass=${AD_ADMIN_PASSWORD}`,
      `--targetdir=${dir}/dc`,
      '--host-name=dc1',
      `--host-ip=${address}`,
      `--option=interfaces=${address}/8`,
      '--option=bind interfaces only=yes',
      '--option=server services=ldap',
      `--option=pid directory=${dir}/run`,
      `--option=ncalrpc dir=${dir}/run/ncalrpc`,
      `--option=winbindd socket directory=${dir}/run/winbindd`,
      `--option=log file=${dir}/samba.log`,
      '--option=tls enabled=yes',
      `--option=tls keyfile=${tlsFiles.key}`,
      `--option=tls certfile=${tlsFiles.cert}`,
      `--option=tls cafile=${tlsFiles.ca}`,
    ],
    { stdio: 'ignore', timeout: 120_000 },
  );
  const conf = path.join(dir, 'dc', 'etc', 'smb.conf');
  // stdin from /dev/null: with a pipe, `samba -i` exits when the pipe closes.
  const child: ChildProcess = spawn('samba', ['-i', '-M', 'single', '-s', conf], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `ldaps://${address}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new Client({
      url,
      tlsOptions: { ca: fs.readFileSync(tlsFiles.ca) },
      connectTimeout: 1000,
    });
    try {
      await client.bind(AD_ADMIN_DN, AD_ADMIN_PASSWORD);
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`samba did not start: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await client.unbind().catch(() => {});
    }
  }
  const tool = (args: string[], options: { faketime?: string } = {}) => {
    const command = options.faketime ? 'faketime' : 'samba-tool';
    const full = options.faketime
      ? ['-f', options.faketime, 'samba-tool', ...args, '-s', conf]
      : [...args, '-s', conf];
    return execFileSync(command, full, { encoding: 'utf8', timeout: 60_000 });
  };
  tool(['ou', 'create', PEOPLE_OU]);
  tool(['ou', 'create', GROUPS_OU]);
  return {
    address,
    url,
    caFile: tlsFiles.ca,
    tool,
    userDn: (name) => `CN=${name},${PEOPLE_OU}`,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
