/** What `idcenter backup` and `idcenter restore` do. */
import path from 'node:path';
import { BackupError } from '../../app/backup/archive.ts';
import { backupSqlite } from '../../app/backup/backup.ts';
import { restoreSqlite } from '../../app/backup/restore.ts';
import { MAX_CREDENTIAL_LIFETIME_MS } from '../../app/revocation.ts';
import { systemClock } from '../../domain/runtime.ts';
import { CliError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { adminConfig } from './admin-config.ts';
import { describeRevokeAll } from './sessions-run.ts';
import type { StoreFlags } from './store-options.ts';

/** Where the commands write, and their time (injected by tests). */
export interface BackupIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  now: () => number;
  cwd: string;
}

const defaultIo = (): BackupIo => ({
  out: process.stdout,
  err: process.stderr,
  now: systemClock.now,
  cwd: process.cwd(),
});

/** A refusal or a bad archive: one line (or the PostgreSQL procedure), exit code 253. */
function asCliError(err: unknown): unknown {
  return err instanceof BackupError ? new CliError(err.message, 253) : err;
}

function progressTo(io: BackupIo): (line: string) => void {
  return (line) => io.err.write(`idcenter: ${line}\n`);
}

/** `idcenter-backup-20261128T120000Z.tar.gz` */
function defaultName(now: number): string {
  return `idcenter-backup-${new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}.tar.gz`;
}

export async function runBackup(
  opts: StoreFlags & { output?: string; force?: boolean },
  io: BackupIo = defaultIo(),
): Promise<void> {
  const config = adminConfig(opts);
  const output = path.resolve(io.cwd, opts.output ?? defaultName(io.now()));
  let result: Awaited<ReturnType<typeof backupSqlite>>;
  try {
    result = await backupSqlite({
      config,
      output,
      force: opts.force === true,
      writtenBy: VERSION,
      now: io.now,
      progress: progressTo(io),
    });
  } catch (err) {
    throw asCliError(err);
  }
  const { manifest } = result;
  const keys =
    manifest.credentialKeys.source === 'config'
      ? `credential keys NOT included (they come from IDCENTER_CREDENTIAL_KEYS: keep its value, keys ${manifest.credentialKeys.ids.join(', ')}, with the archive)`
      : manifest.credentialKeys.ids.length > 0
        ? `credential keys ${manifest.credentialKeys.ids.join(', ')}`
        : 'no credential keys yet';
  const tls = manifest.files.filter((f) => f.name.startsWith('tls/')).length;
  const saml = manifest.files.some((f) => f.name.startsWith('saml/'));
  io.out.write(
    `Backup written to ${result.output} (${result.bytes} bytes, mode 0600): the store as of ${manifest.createdAt}, ${keys}${tls > 0 ? `, ${tls} TLS file(s)` : ''}${saml ? ', the SAML signing key' : ''}.\n` +
      'It holds password hashes and keys: keep it as private as the data directory. Restore with idcenter restore.\n',
  );
}

export async function runRestore(
  archive: string,
  opts: StoreFlags & { force?: boolean; revokeIssuedBeforeNow?: boolean },
  io: BackupIo = defaultIo(),
): Promise<void> {
  const config = adminConfig(opts);
  let result: Awaited<ReturnType<typeof restoreSqlite>>;
  try {
    result = await restoreSqlite({
      config,
      archive: path.resolve(io.cwd, archive),
      force: opts.force === true,
      revokeBefore: opts.revokeIssuedBeforeNow === true,
      actor: `cli:${process.env.USER ?? 'admin'}`,
      progress: progressTo(io),
    });
  } catch (err) {
    throw asCliError(err);
  }
  const { manifest, keys } = result;
  const keyText =
    keys.source === 'archive'
      ? `credential keys ${keys.ids.join(', ')} in ${path.join(config.dataDir, 'credential-keys.json')}`
      : keys.source === 'config'
        ? `credential keys ${keys.ids.join(', ')} from IDCENTER_CREDENTIAL_KEYS`
        : 'no credential keys yet';
  io.out.write(
    `Restored the store as of ${manifest.createdAt} into ${result.dbFile}, with ${keyText}${result.tlsFiles > 0 ? ` and ${result.tlsFiles} TLS file(s)` : ''}${manifest.files.some((f) => f.name.startsWith('saml/')) ? ' and the SAML signing key' : ''}.\n`,
  );
  if (result.revoked) {
    io.out.write(`${describeRevokeAll(result.revoked)}\n`);
    return;
  }
  io.err.write(
    `idcenter: warning: what happened after ${manifest.createdAt} is gone, revocations included: sessions ended and role credentials revoked since then work again until they expire (role credentials at most ${MAX_CREDENTIAL_LIFETIME_MS / 3600_000} h after issue). To cut everything issued before now: idcenter sessions revoke --all (same --data-dir), or restore with --revoke-issued-before-now.\n`,
  );
}
