/** What `idcenter credential-keys list|rotate|prune|adopt` do. */
import fs from 'node:fs';
import { withCommandContext } from '../../app/command-store.ts';
import { adoptKeyIds } from '../../app/credentials/key-record.ts';
import {
  CredentialKeyError,
  type KeyFileContents,
  keyFilePath,
  loadKeyRing,
  type PrunePlan,
  parseKeyList,
  planPrune,
  pruneKeyFile,
  readKeyFile,
  rotateKeyFile,
} from '../../app/credentials/keys.ts';
import { MAX_CREDENTIAL_LIFETIME_MS } from '../../app/revocation.ts';
import { systemClock, systemRandom } from '../../domain/runtime.ts';
import { durationFlagMs } from '../duration-flag.ts';
import { CliError } from '../errors.ts';
import { adminConfig } from './admin-config.ts';
import type { DataDirFlags, StoreFlags } from './store-options.ts';
import { isoSeconds, table } from './text-table.ts';

/** Where the commands write, and their time (injected by tests). */
export interface KeysIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  now: () => number;
}

const defaultIo: KeysIo = { out: process.stdout, err: process.stderr, now: systemClock.now };

type KeySource =
  | { kind: 'config'; value: string; file: string }
  | { kind: 'file'; dataDir: string; file: string };

function keySource(flags: DataDirFlags): KeySource {
  const config = adminConfig(flags);
  const file = keyFilePath(config.dataDir);
  return config.credentialKeys.trim().length > 0
    ? { kind: 'config', value: config.credentialKeys, file }
    : { kind: 'file', dataDir: config.dataDir, file };
}

/** A key file or setting that cannot be used is a configuration problem (253); nothing is written. */
function asCliError(err: unknown, prefix = ''): unknown {
  return err instanceof CredentialKeyError ? new CliError(`${prefix}${err.message}`, 253) : err;
}

function readOrNull(file: string): KeyFileContents | null {
  try {
    return readKeyFile(file);
  } catch (err) {
    if (err instanceof CredentialKeyError && err.missing) return null;
    throw asCliError(err);
  }
}

const CONFIGURED =
  'credential keys come from IDCENTER_CREDENTIAL_KEYS (--credential-keys), not from a key file';
const HOURS = MAX_CREDENTIAL_LIFETIME_MS / 3600_000;

function warnIfExposed(file: string, io: KeysIo): void {
  const mode = fs.statSync(file, { throwIfNoEntry: false })?.mode;
  if (mode !== undefined && (mode & 0o077) !== 0) {
    io.err.write(
      `idcenter: warning: ${file} has mode 0${(mode & 0o777).toString(8)}; it holds secrets: chmod 600 it\n`,
    );
  }
}

export function runKeysList(opts: DataDirFlags & { json?: boolean }, io: KeysIo = defaultIo): void {
  const source = keySource(opts);
  if (source.kind === 'config') {
    let ids: string[];
    try {
      ids = [...parseKeyList(source.value).byId.keys()];
    } catch (err) {
      throw asCliError(err, 'IDCENTER_CREDENTIAL_KEYS (--credential-keys): ');
    }
    if (opts.json) {
      const keys = ids.map((id, i) => ({ id, seals: i === 0, createdAt: null }));
      io.out.write(`${JSON.stringify({ source: 'config', file: null, keys })}\n`);
      return;
    }
    io.out.write(`Credential keys come from IDCENTER_CREDENTIAL_KEYS; ${source.file} is not used.\n`);
    io.out.write(`${table([['ID', 'SEALS'], ...ids.map((id, i) => [id, i === 0 ? 'yes' : 'no'])])}\n`);
    return;
  }
  const contents = readOrNull(source.file);
  if (opts.json) {
    const keys = (contents?.entries ?? []).map((e, i) => ({
      id: e.id,
      seals: i === 0,
      createdAt: typeof e.createdAt === 'string' ? e.createdAt : null,
    }));
    io.out.write(`${JSON.stringify({ source: 'file', file: source.file, keys })}\n`);
  } else if (!contents) {
    io.out.write(
      `No credential keys yet: ${source.file} does not exist. The server generates it on first start (or run idcenter credential-keys rotate).\n`,
    );
  } else {
    io.out.write(`Credential keys in ${source.file} (the first seals new tokens; every one opens tokens):\n`);
    const rows = contents.entries.map((e, i) => [
      e.id,
      i === 0 ? 'yes' : 'no',
      typeof e.createdAt === 'string' ? e.createdAt : '-',
    ]);
    io.out.write(`${table([['ID', 'SEALS', 'CREATED'], ...rows])}\n`);
  }
  if (contents) warnIfExposed(source.file, io);
}

export function runKeysRotate(opts: DataDirFlags, io: KeysIo = defaultIo): void {
  const source = keySource(opts);
  if (source.kind === 'config') {
    throw new CliError(
      `${CONFIGURED}: to rotate, prepend a new entry to IDCENTER_CREDENTIAL_KEYS ("k2:$(openssl rand -base64 32),<current entries>") and restart every server with it; drop the old entry ${HOURS} h later`,
      253,
    );
  }
  if (!fs.statSync(source.dataDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError(
      `data directory ${source.dataDir} does not exist: give the server's --data-dir or IDCENTER_DATA_DIR`,
      253,
    );
  }
  const before = readOrNull(source.file);
  let id: string;
  try {
    id = rotateKeyFile(source.dataDir, systemRandom, io.now());
  } catch (err) {
    throw asCliError(err);
  }
  if (!before) {
    io.out.write(`Created ${source.file} with the sealing key ${id}.\n`);
    return;
  }
  const older = before.entries.map((e) => e.id).join(', ');
  io.out.write(`New sealing key ${id}, first in ${source.file}.\n`);
  io.out.write(
    `Running servers reading this file seal new credentials with it within a second. The older keys (${older}) keep verifying the tokens they sealed until pruned: idcenter credential-keys prune removes each one ${HOURS} h after it stopped sealing.\n`,
  );
}

/** `--older-than` in milliseconds: the longest credential lifetime unless given. */
function olderThanMs(value: string | undefined): number {
  if (value === undefined) return MAX_CREDENTIAL_LIFETIME_MS;
  return durationFlagMs('--older-than', value, '12h, 90m, 1d or 0s');
}

export function runKeysPrune(
  opts: DataDirFlags & { olderThan?: string; dryRun?: boolean },
  io: KeysIo = defaultIo,
): void {
  const minAge = olderThanMs(opts.olderThan);
  const source = keySource(opts);
  if (source.kind === 'config') {
    throw new CliError(
      `${CONFIGURED}: to retire a key, remove its entry from IDCENTER_CREDENTIAL_KEYS (never the first) ${HOURS} h after the entry before it was added, and restart every server; to rotate, prepend a new entry`,
      253,
    );
  }
  const contents = readOrNull(source.file);
  if (!contents) {
    io.out.write(`No key file at ${source.file}: nothing to prune.\n`);
    return;
  }
  const now = io.now();
  let plan: PrunePlan;
  try {
    plan = opts.dryRun ? planPrune(contents.entries, now, minAge) : pruneKeyFile(source.dataDir, now, minAge);
  } catch (err) {
    throw asCliError(err);
  }
  const sealing = contents.ring.current.id;
  if (plan.remove.length === 0 && plan.keep.length === 0) {
    io.out.write(`Only the sealing key ${sealing} is listed: nothing to prune.\n`);
    return;
  }
  for (const k of plan.remove) {
    io.out.write(
      `${opts.dryRun ? 'Would remove' : 'Removed'} ${k.id} (stopped sealing ${isoSeconds(k.retiredAt!)}).\n`,
    );
  }
  for (const k of plan.keep) {
    io.out.write(
      k.retiredAt === null
        ? `Kept ${k.id}: the key listed before it has no createdAt, so when it stopped sealing is unknown.\n`
        : `Kept ${k.id}: stopped sealing ${isoSeconds(k.retiredAt)}; prunable from ${isoSeconds(k.retiredAt + minAge)}.\n`,
    );
  }
  if (plan.remove.length === 0) {
    io.out.write(`Nothing ${opts.dryRun ? 'would be' : 'was'} removed; ${sealing} seals new tokens.\n`);
    return;
  }
  if (opts.dryRun) {
    io.out.write('Dry run: the key file was not changed.\n');
    return;
  }
  io.out.write(
    `Running servers reading this file refuse tokens sealed under the removed keys within a second (InvalidClientTokenId); ${sealing} seals new tokens.\n`,
  );
  if (minAge < MAX_CREDENTIAL_LIFETIME_MS) {
    io.err.write(
      `idcenter: warning: --older-than is shorter than the longest credential lifetime (${HOURS} h): credentials sealed under the removed keys that had not expired stop working now.\n`,
    );
  }
}

export async function runKeysAdopt(opts: StoreFlags, io: KeysIo = defaultIo): Promise<void> {
  const config = adminConfig(opts);
  const sqliteFile = config.databaseUrl.startsWith('sqlite:')
    ? config.databaseUrl.slice('sqlite:'.length)
    : null;
  if (sqliteFile && !fs.existsSync(sqliteFile)) {
    throw new CliError(
      `there is no store at ${sqliteFile}: give the server's --data-dir or --database-url`,
      253,
    );
  }
  const source = keySource(opts);
  const created = source.kind === 'file' && !fs.existsSync(source.file);
  const now = io.now();
  const ring = loadKeyRing(config, systemRandom, now);
  const ids = [...ring.byId.keys()];
  const { before, location } = await withCommandContext(config.databaseUrl, async (ctx) => ({
    before: await adoptKeyIds(ctx.store, ids, now, `cli:${process.env.USER ?? 'admin'}`),
    location: ctx.store.location,
  }));
  if (created) io.out.write(`Created ${source.file} with the sealing key ${ring.current.id}.\n`);
  const from = source.kind === 'config' ? 'IDCENTER_CREDENTIAL_KEYS' : source.file;
  io.out.write(
    `The store at ${location} now knows the credential keys ${ids.join(', ')} (from ${from}); servers of this store start with them.\n`,
  );
  const dropped = before.filter((id) => !ring.byId.has(id));
  if (dropped.length > 0) {
    io.err.write(
      `idcenter: warning: credentials sealed under ${dropped.join(', ')} (the keys recorded before) stop verifying (InvalidClientTokenId); their holders get new ones from the portal or with aws sso login.\n`,
    );
  }
}
