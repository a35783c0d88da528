/**
 * What `idcenter export` does: read the store's organization and write it as an organization
 * file, to standard output or atomically to `--output` (mode 0600). What the file cannot hold is
 * said on standard error as well as in the file's comments; values the organization file refuses
 * (a name the identitystore API allowed and the file does not) are listed, and the exit code says
 * that apply would refuse the file until they are fixed.
 */
import { closeCommandContext, openCommandContext } from '../../app/command-store.ts';
import { exportOrg, writeExportFile } from '../../app/export/index.ts';
import { CliError } from '../errors.ts';
import { adminConfig } from './admin-config.ts';
import type { StoreFlags } from './store-options.ts';

export async function runExport(
  opts: { output?: string } & StoreFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<void> {
  const ctx = await openCommandContext(adminConfig(opts).databaseUrl);
  let result: Awaited<ReturnType<typeof exportOrg>>;
  try {
    result = await exportOrg(ctx);
  } finally {
    await closeCommandContext(ctx).catch(() => {});
  }
  if (opts.output) {
    try {
      writeExportFile(opts.output, result.text);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliError(
        `cannot write ${opts.output}: ${e.code === 'ENOENT' ? 'no such directory' : e.message}`,
        255,
      );
    }
    const c = result.counts;
    io.stderr.write(
      `Wrote ${opts.output}: ${c.accounts} accounts, ${c.groups} groups, ${c.users} users, ${c.permissionSets} permission sets, ${c.assignments} assignments.\n`,
    );
  } else {
    io.stdout.write(result.text);
  }
  for (const n of result.notes) io.stderr.write(`note: not exported: ${n}\n`);
  if (result.problems.length > 0) {
    const n = result.problems.length;
    io.stderr.write(
      `idcenter: the store holds ${n} ${n === 1 ? 'value' : 'values'} that the organization file refuses; apply will refuse the file until ${n === 1 ? 'it is' : 'they are'} changed:\n`,
    );
    for (const p of result.problems) io.stderr.write(`  ${p}\n`);
    throw new CliError('the export is not a valid organization file', 253);
  }
}
