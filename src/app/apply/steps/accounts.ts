/**
 * Apply step: create and update the accounts of the plan. Deleting accounts is part of
 * `prune.ts`.
 */
import type { Plan } from '../plan.ts';
import { insertChunked, updateByIds } from './bulk.ts';
import type { ApplyTx } from './step.ts';

export async function writeAccounts(tx: ApplyTx, accounts: Plan['accounts']): Promise<void> {
  const { db, dialect, now, progress, ev, ouIdOf } = tx;
  await insertChunked(
    db,
    dialect,
    'accounts',
    accounts.create.map((a) => {
      ev('account.create', 'ACCOUNT', a.id, {
        name: a.name,
        ou: a.ouPath,
        ...(a.access === 'local' ? {} : { access: a.access }),
        ...(a.partition === null ? {} : { partition: a.partition }),
        ...(a.federation === 'saml' ? {} : { federation: a.federation }),
      });
      return {
        id: a.id,
        name: a.name,
        email: a.email,
        ou_id: ouIdOf(a.ouPath),
        access: a.access,
        partition: a.partition,
        federation: a.federation,
        status: 'ACTIVE',
        joined_method: 'CREATED',
        created_at: now,
        updated_at: now,
      };
    }),
    progress,
    'accounts',
  );
  await updateByIds(
    db,
    dialect,
    'accounts',
    accounts.update.map((u) => {
      ev('account.update', 'ACCOUNT', u.stored.id, { changes: u.changes });
      return {
        id: u.stored.id,
        set: {
          name: u.want.name,
          email: u.want.email,
          ou_id: ouIdOf(u.want.ouPath),
          access: u.want.access,
          partition: u.want.partition,
          federation: u.want.federation,
          updated_at: now,
        },
      };
    }),
    progress,
    'account updates',
  );
}
