/**
 * What `idcenter apply` and `idcenter user …` do. Store failures (locked file, bad URL,
 * PostgreSQL down) become one line; an invalid organization file lists every problem with its
 * path and line and writes nothing.
 */

import { grantAdministrator } from '../../app/admin/grant.ts';
import { formatPlan } from '../../app/apply/format.ts';
import { applyOrg } from '../../app/apply/index.ts';
import { planCounts } from '../../app/apply/plan.ts';
import { closeCommandContext, isStoreError, openCommandContext } from '../../app/command-store.ts';
import type { AppContext } from '../../app/context.ts';
import {
  createIamProvisioner,
  type IamProvisioner,
  ProvisioningError,
} from '../../app/federation/provision.ts';
import { disableUser, enableUser, findUserByName, setPassword } from '../../app/users.ts';
import { isDomainError } from '../../domain/errors.ts';
import { signinEndpoint } from '../../domain/federation/partitions.ts';
import { checkPassword } from '../../domain/identity/directory.ts';
import { CliError } from '../errors.ts';
import { textArgument } from '../text-argument.ts';
import type { ApplyFlags } from './admin.ts';
import { adminConfig } from './admin-config.ts';
import { readOrgFile, samlMetadataSource } from './org-input.ts';
import type { StoreFlags } from './store-options.ts';

/** One line for failures of the store while a command runs. */
function storeFailure(err: unknown, store: { location: string } | undefined): Error {
  if (err instanceof CliError || isStoreError(err) || isDomainError(err)) return err as Error;
  const e = err as { code?: string; message?: string };
  const where = store?.location ?? 'the store';
  if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') {
    return new CliError(
      `the store ${where} is locked by another process (another idcenter apply?); nothing was written, try again when it finishes`,
      253,
    );
  }
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_')) {
    return new CliError(`the store ${where} failed: ${e.message ?? e.code}; nothing was written`, 253);
  }
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08006', '08003'].includes(
      e?.code ?? '',
    ) ||
    /Connection terminated|connection timeout/i.test(e?.message ?? '')
  ) {
    return new CliError(
      `lost the connection to ${where}: ${oneLine(e.message ?? '')}; nothing was written`,
      253,
    );
  }
  return err as Error;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

async function withStore<T>(flags: StoreFlags, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  // The store the server would use, without the server lock (WAL lets both work).
  const ctx = await openCommandContext(adminConfig(flags).databaseUrl);
  try {
    return await fn(ctx);
  } catch (err) {
    throw storeFailure(err, ctx.store);
  } finally {
    await closeCommandContext(ctx).catch(() => {});
  }
}

/** Progress on stderr, at most about once a second per phase, so long applies show life. */
function progressPrinter(stderr: NodeJS.WritableStream) {
  let last = 0;
  let lastPhase = '';
  return (phase: string, done: number, total: number) => {
    // Small phases finish at once: only large ones are worth a line.
    if (total < (phase === 'hashing initial passwords' ? 20 : 1000)) return;
    const now = Date.now();
    if (phase === lastPhase && done < total && now - last < 1000) return;
    last = now;
    lastPhase = phase;
    stderr.write(`  ${phase}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}\n`);
  };
}

/** AWS CLI exit codes for what stopped IAM provisioning: settings 253, AWS's refusal 254, unreachable 255. */
const PROVISIONING_EXIT: Record<ProvisioningError['failure'], number> = {
  credentials: 253,
  assume_role: 253,
  partition: 253,
  conflict: 253,
  store: 253,
  refused: 254,
  timeout: 255,
  unreachable: 255,
};

/** IAM provisioning with the server's settings: endpoints, timeout, metadata, audience. */
function provisioner(opts: ApplyFlags, stderr: NodeJS.WritableStream): IamProvisioner {
  const config = adminConfig(opts);
  return createIamProvisioner({
    stsEndpoint: config.awsStsEndpoint,
    iamEndpoint: config.awsIamEndpoint,
    timeoutMs: config.awsIamTimeout * 1000,
    audience: (partition) => config.awsSigninEndpoint || signinEndpoint(partition),
    metadata: samlMetadataSource(opts, config, stderr),
    issuer: config.publicUrl,
  });
}

export async function runApply(
  opts: ApplyFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<void> {
  const org = readOrgFile(opts.file, io.stderr);
  const started = Date.now();
  const iam = provisioner(opts, io.stderr);
  try {
    await withStore(opts, async (ctx) => {
      const progress = progressPrinter(io.stderr);
      let announced = false;
      const result = await applyOrg(ctx, org, {
        prune: opts.prune === true,
        dryRun: opts.dryRun === true,
        iam,
        onProgress: (phase, done, total) => {
          if (!announced && phase !== 'hashing initial passwords') {
            announced = true;
            io.stderr.write('Applying in one transaction…\n');
          }
          progress(phase, done, total);
        },
      });
      io.stdout.write(formatPlan(result.plan, { iam: result.iam, drift: result.drift }));
      if (opts.dryRun) {
        io.stdout.write('Dry run: nothing was written.\n');
      } else if (result.applied) {
        const c = planCounts(result.plan);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const iamDone = result.iam?.enabled ? `, ${result.iamChanges} IAM changes` : '';
        io.stdout.write(
          `Applied: ${c.create} created, ${c.update} updated, ${c.delete} deleted${iamDone} in ${seconds} s (${result.auditEvents} audit events).\n`,
        );
      }
    });
  } catch (err) {
    if (err instanceof ProvisioningError) {
      throw new CliError(
        `${err.message}${err.written ? '' : ' Nothing was written.'}`,
        PROVISIONING_EXIT[err.failure],
      );
    }
    throw err;
  } finally {
    iam.close();
  }
}

async function readPasswordLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, '');
}

async function promptPassword(userName: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  const first = await password({
    message: `New password for ${userName}:`,
    mask: '*',
    validate: (v) => checkPassword(v) ?? true,
  });
  const second = await password({ message: 'Repeat the password:', mask: '*' });
  if (first !== second) throw new CliError('the passwords do not match; nothing was changed', 255);
  return first;
}

export async function runSetPassword(
  userName: string,
  opts: { stdin?: boolean } & StoreFlags,
): Promise<void> {
  textArgument('the user name', userName);
  let secret: string;
  if (opts.stdin) {
    secret = await readPasswordLine();
    if (secret === '') throw new CliError('no password on standard input; nothing was changed', 255);
  } else if (process.stdin.isTTY) {
    secret = await promptPassword(userName);
  } else {
    throw new CliError('standard input is not a terminal: pass --stdin to read the password from it', 252);
  }
  const problem = checkPassword(secret);
  if (problem) throw new CliError(`${problem}; nothing was changed`, 255);
  await withStore(opts, async (ctx) => {
    const user = await findUserByName(ctx.store, userName);
    if (!user) throw new CliError(`no user named "${userName}"`, 254);
    await setPassword(ctx, user.id, secret, 'cli:user');
    process.stdout.write(`Password set for user ${user.user_name}.\n`);
  });
}

export async function runSetEnabled(userName: string, enabled: boolean, opts: StoreFlags): Promise<void> {
  textArgument('the user name', userName);
  await withStore(opts, async (ctx) => {
    const user = await findUserByName(ctx.store, userName);
    if (!user) throw new CliError(`no user named "${userName}"`, 254);
    if (enabled) {
      const r = await enableUser(ctx, user.id, 'cli:user');
      process.stdout.write(
        r.changed ? `Enabled user ${user.user_name}.\n` : `User ${user.user_name} was already enabled.\n`,
      );
    } else {
      const r = await disableUser(ctx, user.id, 'cli:user');
      process.stdout.write(
        r.changed
          ? `Disabled user ${user.user_name}: portal sessions, tokens, pending sign-ins and role credentials were revoked.\n`
          : `User ${user.user_name} was already disabled.\n`,
      );
    }
  });
}

/** `idcenter admin grant`: a first administrator, through the store. */
export async function runAdminGrant(
  opts: { user: string; account: string; permissionSet: string } & StoreFlags,
): Promise<void> {
  textArgument('the user name', opts.user);
  textArgument('the permission set name', opts.permissionSet);
  if (!/^\d{12}$/.test(opts.account)) throw new CliError('--account must be a 12-digit account id', 2);
  await withStore(opts, async (ctx) => {
    try {
      const r = await grantAdministrator(ctx, {
        userName: opts.user,
        accountId: opts.account,
        permissionSet: opts.permissionSet,
        actor: 'cli:admin',
      });
      const lines = [
        r.markedAdministrators
          ? `Permission set ${opts.permissionSet} may now call the admin APIs.`
          : `Permission set ${opts.permissionSet} was already an administrators' permission set.`,
        r.assigned
          ? `Assigned ${opts.permissionSet} in ${opts.account} to user ${opts.user}.`
          : `User ${opts.user} already had ${opts.permissionSet} in ${opts.account}.`,
        'Role credentials of that permission set sign the admin API calls (idcenter login, then --profile).',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (err) {
      if (isDomainError(err, 'not_found')) throw new CliError(err.message, 254);
      throw err;
    }
  });
}
