/**
 * `idcenter sessions list|revoke` and `idcenter audit tail|prune`: who is signed in, ending
 * sign-ins (and the role credentials issued under them) at once, reading the audit log and
 * keeping it to a retention period. They open
 * the store the server uses and work while servers run. Implementations load only when run.
 */
import type { Command } from 'commander';
import { type StoreFlags, storeOptions } from './store-options.ts';

export function defineSessionCommands(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('List and revoke sign-ins: portal sessions with the CLI/SDK tokens issued under them.');

  storeOptions(
    sessions
      .command('list')
      .description('List live sessions (newest first): user, created, expires, source IP, clients.')
      .option('--user <userName>', 'only this user’s sessions')
      .option('--all', 'include ended and expired sessions')
      .option('--json', 'print JSON lines instead of a table'),
  ).action(async (opts: StoreFlags & { user?: string; all?: boolean; json?: boolean }) => {
    const { runSessionsList } = await import('./sessions-run.ts');
    await runSessionsList(opts);
  });

  storeOptions(
    sessions
      .command('revoke')
      .description(
        'End a session (--session), everything a user holds (--user) or everything issued until now (--all): the portal sessions, their refresh and access tokens stop at once; role credentials already issued stop verifying within 60 s on every server.',
      )
      .option('--user <userName>', 'every session, token and role credential of this user')
      .option('--session <id>', 'one session, by the id `sessions list` shows')
      .option(
        '--all',
        'every session, token and role credential of every user, issued until now (e.g. after restoring a backup); users may sign in again',
      ),
  ).action(async (opts: StoreFlags & { user?: string; session?: string; all?: boolean }) => {
    const { runSessionsRevoke } = await import('./sessions-run.ts');
    await runSessionsRevoke(opts);
  });

  const audit = program
    .command('audit')
    .description('Read the audit log, and keep it to a retention period.');
  storeOptions(
    audit
      .command('tail')
      .description('Print the newest audit events, oldest first; --follow keeps printing new ones.')
      .option('-n, --lines <n>', 'how many events to print first', '20')
      .option('-f, --follow', 'keep waiting for new events (Ctrl-C to stop)')
      .option('--json', 'print CloudTrail-like JSON records, one a line'),
  ).action(async (opts: StoreFlags & { lines: string; follow?: boolean; json?: boolean }) => {
    const { runAuditTail } = await import('./sessions-run.ts');
    await runAuditTail(opts);
  });

  storeOptions(
    audit
      .command('prune')
      .description(
        'Delete audit events older than a duration (e.g. 400d), in chunks, while servers run; the deletion is recorded as an audit event of its own.',
      )
      .requiredOption('--older-than <duration>', 'how old an event must be to go: 90d, 12h, P400D…')
      .option('--dry-run', 'count what would be deleted; delete nothing'),
  ).action(async (opts: StoreFlags & { olderThan: string; dryRun?: boolean }) => {
    const { runAuditPrune } = await import('./sessions-run.ts');
    await runAuditPrune(opts);
  });
}
