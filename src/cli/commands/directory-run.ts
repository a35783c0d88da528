/** What `idcenter directory sync` does. */
import { withCommandContext } from '../../app/command-store.ts';
import { DirectoryError } from '../../app/directory/ldap.ts';
import { SyncRefused, type SyncResult, syncDirectory } from '../../app/directory/sync.ts';
import { CliError } from '../errors.ts';
import { adminConfig } from './admin-config.ts';
import type { DirectorySyncFlags } from './directory.ts';

export async function runDirectorySync(
  opts: DirectorySyncFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<void> {
  const config = adminConfig(opts);
  await withCommandContext(config.databaseUrl, async (ctx) => {
    let result: SyncResult;
    try {
      result = await syncDirectory(ctx, {
        full: opts.full === true,
        dryRun: opts.dryRun === true,
        force: opts.force === true,
        actor: 'cli:directory-sync',
        progress: (message) => io.stderr.write(`${message}\n`),
      });
    } catch (err) {
      if (err instanceof SyncRefused) {
        io.stdout.write(formatResult(err.result));
        throw new CliError(`sync refused: ${err.message}`);
      }
      if (err instanceof DirectoryError) throw new CliError(`${err.message}; nothing was changed`);
      throw err;
    }
    io.stdout.write(formatResult(result));
    if (result.dryRun) io.stdout.write('Dry run: nothing was written.\n');
  });
}

/** One line per change, then the counts. */
export function formatResult(r: SyncResult): string {
  const out: string[] = [];
  for (const n of r.created) out.push(`+ create user ${n}`);
  for (const n of r.updated) out.push(`~ update user ${n}`);
  for (const d of r.disabled) out.push(`- disable user ${d.userName} (${d.why})`);
  for (const n of r.enabled) out.push(`~ enable user ${n}`);
  for (const n of r.groupsCreated) out.push(`+ create group ${n}`);
  for (const n of r.groupsUpdated) out.push(`~ update group ${n}`);
  for (const n of r.groupsDeleted) out.push(`- delete group ${n}`);
  for (const s of r.skipped) out.push(`! ${s}`);
  if (r.forced) out.push(`WARNING: ${r.forced}`);
  out.push(
    `${r.mode === 'full' ? 'Full' : 'Incremental'} sync from ${r.server}: read ${r.usersRead} users and ${r.groupsRead} groups; ` +
      `${r.created.length} users created, ${r.updated.length} updated, ${r.disabled.length} disabled, ${r.enabled.length} enabled; ` +
      `${r.groupsCreated.length} groups created, ${r.groupsUpdated.length} updated, ${r.groupsDeleted.length} deleted; ` +
      `memberships ${r.membershipsAdded} added, ${r.membershipsRemoved} removed${r.skipped.length ? `; ${r.skipped.length} left out` : ''}.`,
  );
  return `${out.join('\n')}\n`;
}
