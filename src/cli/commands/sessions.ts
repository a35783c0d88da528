/**
 * `idcenter sessions list|revoke` and `idcenter audit tail`: who is signed in, ending sign-ins
 * (and the role credentials issued under them) at once, and reading the audit log. They open
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
        'End a session (--session) or everything a user holds (--user): the portal session, its refresh and access tokens stop at once; role credentials already issued stop verifying within 60 s on every server.',
      )
      .option('--user <userName>', 'every session, token and role credential of this user')
      .option('--session <id>', 'one session, by the id `sessions list` shows'),
  ).action(async (opts: StoreFlags & { user?: string; session?: string }) => {
    const { runSessionsRevoke } = await import('./sessions-run.ts');
    await runSessionsRevoke(opts);
  });

  const audit = program.command('audit').description('Read the audit log.');
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
}
