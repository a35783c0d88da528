/**
 * OpenLDAP for tests: a `slapd` of its own in a temporary directory, listening on free loopback
 * ports (ldap:// and ldaps://) with a certificate from a test CA made here by openssl, the
 * memberof overlay, and `dc=idc,dc=test` with `ou=people` and `ou=groups`. Stop it with `stop()`
 * (by its PID).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';
import { freePort } from './server.ts';

export const BASE_DN = 'dc=idc,dc=test';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret-1';
export const SERVICE_DN = `cn=idcenter,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-secret-1';

export interface Slapd {
  ldapUrl: string;
  ldapsUrl: string;
  caFile: string;
  /** A CA that did not sign the server's certificate. */
  otherCaFile: string;
  dir: string;
  /** Add LDIF as the directory's administrator. */
  add(ldif: string): void;
  modify(ldif: string): void;
  admin(): Promise<Client>;
  /** Stop slapd (every connection to it drops) and start it again on the same ports and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/**
 * A CA and a server certificate, for 127.0.0.1 and localhost unless `host` names another
 * loopback address; the server key is P-256 unless `serverKey` asks for RSA (Samba's TLS).
 */
export function makeTestCa(
  dir: string,
  name = 'ca',
  options: { host?: string; serverKey?: 'ec' | 'rsa' } = {},
): { ca: string; cert: string; key: string } {
  const host = options.host ?? '127.0.0.1';
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=idcenter test ${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
  openssl(dir, [
    'req',
    '-newkey',
    ...(options.serverKey === 'rsa' ? ['rsa:2048'] : ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
    '-nodes',
    '-subj',
    `/CN=${host}`,
    '-keyout',
    `${name}-server.key`,
    '-out',
    `${name}-server.csr`,
  ]);
  const names = options.host === undefined ? 'IP:127.0.0.1,DNS:localhost' : `IP:${host}`;
  fs.writeFileSync(path.join(dir, `${name}-ext.cnf`), `subjectAltName=${names}\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}-server.csr`,
    '-CA',
    `${name}.pem`,
    '-CAkey',
    `${name}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}-ext.cnf`,
    '-out',
    `${name}-server.pem`,
  ]);
  return {
    ca: path.join(dir, `${name}.pem`),
    cert: path.join(dir, `${name}-server.pem`),
    key: path.join(dir, `${name}-server.key`),
  };
}

function slappasswd(password: string): string {
  return execFileSync('slappasswd', ['-s', password], { encoding: 'utf8' }).trim();
}

export interface SlapdOptions {
  /**
   * LDIF of entries under `ou=people` and `ou=groups` to load with `slapadd` into the empty
   * database before slapd starts: far faster than adding them over LDAP (a bench's 50,000
   * users). The memberof overlay does not run for these (slapadd writes the database directly).
   */
  preload?: string;
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-slapd-'));
  const tls = makeTestCa(dir);
  const other = makeTestCa(dir, 'other');
  fs.mkdirSync(path.join(dir, 'db'));
  const conf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${dir}/slapd.pid
TLSCACertificateFile ${tls.ca}
TLSCertificateFile ${tls.cert}
TLSCertificateKeyFile ${tls.key}
sizelimit unlimited
database mdb
maxsize 1073741824
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${slappasswd(ADMIN_PASSWORD)}
directory ${dir}/db
index objectClass,uid,cn,member,memberUid eq
index entryUUID,modifyTimestamp eq
limits dn.exact="${SERVICE_DN}" size=unlimited size.pr=unlimited
overlay memberof
`;
  fs.writeFileSync(path.join(dir, 'slapd.conf'), conf);
  const [p1, p2] = [await freePort(), await freePort()];
  const ldapUrl = `ldap://127.0.0.1:${p1}`;
  const ldapsUrl = `ldaps://127.0.0.1:${p2}`;
  const ldapEnv = { ...process.env, LDAPTLS_CACERT: tls.ca };
  const ldapArgs = ['-x', '-H', ldapsUrl, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD];
  /** Start slapd on the two ports and wait until it answers over LDAPS. */
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const child: ChildProcess = spawn(
      'slapd',
      ['-h', `${ldapUrl}/ ${ldapsUrl}/`, '-f', path.join(dir, 'slapd.conf'), '-d', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        execFileSync('ldapsearch', [...ldapArgs, '-b', '', '-s', 'base', '1.1'], {
          env: ldapEnv,
          stdio: 'ignore',
        });
        return { child, exited };
      } catch {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`slapd did not start: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const terminate = async ({ child, exited }: { child: ChildProcess; exited: Promise<void> }) => {
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
  };
  const base = `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
o: idc
dc: idc

dn: ${SERVICE_DN}
objectClass: simpleSecurityObject
objectClass: organizationalRole
cn: idcenter
userPassword: ${slappasswd(SERVICE_PASSWORD)}

dn: ou=people,${BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${BASE_DN}
objectClass: organizationalUnit
ou: groups

`;
  const run = (tool: string, ldif: string) =>
    execFileSync(tool, [...ldapArgs], { env: ldapEnv, input: ldif, stdio: ['pipe', 'ignore', 'pipe'] });
  let running: Awaited<ReturnType<typeof launch>>;
  if (options.preload !== undefined) {
    // Quick mode (-q): no consistency checks while writing; a failure throws and the test stops.
    const file = path.join(dir, 'preload.ldif');
    fs.writeFileSync(file, base + options.preload);
    execFileSync('slapadd', ['-q', '-f', path.join(dir, 'slapd.conf'), '-l', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    fs.rmSync(file);
    running = await launch();
  } else {
    running = await launch();
    run('ldapadd', base);
  }
  return {
    ldapUrl,
    ldapsUrl,
    caFile: tls.ca,
    otherCaFile: other.ca,
    dir,
    add: (ldif) => run('ldapadd', ldif),
    modify: (ldif) => run('ldapmodify', ldif),
    async admin() {
      const client = new Client({ url: ldapsUrl, tlsOptions: { ca: fs.readFileSync(tls.ca) } });
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      return client;
    },
    async restart() {
      await terminate(running);
      running = await launch();
    },
    async stop() {
      await terminate(running);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An organization file's `identitySource:` for `slapd`: bound as the service account, whose
 * password is in the environment variable `passwordEnv`; people and groups under their OUs;
 * `employeeType` says a user is disabled. `more` adds lines (indented) to it.
 */
export function ldapSourceYaml(
  slapd: Slapd,
  passwordEnv: string,
  o: {
    urls?: string[] | undefined;
    caFile?: string | undefined;
    usersFilter?: string | undefined;
    more?: string;
  } = {},
): string {
  return `identitySource:
  type: ldap
  urls: ${JSON.stringify(o.urls ?? [slapd.ldapsUrl])}
  caFile: ${o.caFile ?? slapd.caFile}
  bindDn: "${SERVICE_DN}"
  bindPasswordEnv: ${passwordEnv}
  users: { baseDn: "ou=people,${BASE_DN}"${o.usersFilter ? `, filter: "${o.usersFilter}"` : ''} }
  groups: { baseDn: "ou=groups,${BASE_DN}" }
  attributes: { disabled: employeeType }
  timeout: 3s
${o.more ?? ''}`;
}

/** LDIF of one inetOrgPerson under `ou` (default people) with a password. */
export function personLdif(
  uid: string,
  password: string,
  options: { ou?: string; given?: string; sn?: string; mail?: string; display?: string; extra?: string } = {},
): string {
  const ou = options.ou ?? 'people';
  const lines = [
    `dn:: ${Buffer.from(`uid=${escapeRdn(uid)},ou=${ou},${BASE_DN}`).toString('base64')}`,
    'objectClass: inetOrgPerson',
    `uid:: ${Buffer.from(uid).toString('base64')}`,
    `cn:: ${Buffer.from(options.display ?? uid).toString('base64')}`,
    `sn:: ${Buffer.from(options.sn ?? 'Person').toString('base64')}`,
    `givenName:: ${Buffer.from(options.given ?? uid).toString('base64')}`,
    `displayName:: ${Buffer.from(options.display ?? uid).toString('base64')}`,
    `mail: ${options.mail ?? `${uid.replace(/[^\w.-]/g, '_')}@idc.test`}`,
    `userPassword: ${password}`,
  ];
  if (options.extra) lines.push(options.extra);
  return `${lines.join('\n')}\n\n`;
}

/** Escape a value for an RDN (RFC 4514). */
export function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;=#]/g, (c) => `\\${c}`).replace(/^ | $/g, (c) => `\\${c}`);
}

export function userDn(uid: string, ou = 'people'): string {
  return `uid=${escapeRdn(uid)},ou=${ou},${BASE_DN}`;
}

export function groupLdif(cn: string, members: string[]): string {
  const lines = [`dn: cn=${cn},ou=groups,${BASE_DN}`, 'objectClass: groupOfNames', `cn: ${cn}`];
  for (const m of members.length > 0 ? members : [BASE_DN])
    lines.push(`member:: ${Buffer.from(m).toString('base64')}`);
  return `${lines.join('\n')}\n\n`;
}

export function groupDn(cn: string): string {
  return `cn=${cn},ou=groups,${BASE_DN}`;
}
