import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the expiry sweep (`app/expiry-sweep.ts`), which finds the rows of each short-lived
 * kind past their expiry, and for the cap on pending device authorizations per client
 * (`app/auth/device.ts`). Without them each sweep would read whole tables.
 */
export const m011ExpiryIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    const byExpiry: ReadonlyArray<[string, string]> = [
      ['device_grants_expires', 'device_grants'],
      ['auth_codes_expires', 'auth_codes'],
      ['access_tokens_expires', 'access_tokens'],
      ['refresh_tokens_expires', 'refresh_tokens'],
      ['token_families_expires', 'token_families'],
      ['portal_sessions_expires', 'portal_sessions'],
      ['oidc_clients_expires', 'oidc_clients'],
      ['revocations_expires', 'revocations'],
    ];
    for (const [name, table] of byExpiry) {
      await db.schema.createIndex(name).on(table).column('expires_at').execute();
    }
    await db.schema.createIndex('throttles_last_failure').on('throttles').column('last_failure_at').execute();
    // A client registration goes only once no token family names it.
    await db.schema.createIndex('token_families_client').on('token_families').column('client_id').execute();
    await db.schema
      .createIndex('device_grants_client')
      .on('device_grants')
      .columns(['client_id', 'expires_at'])
      .execute();
  },
};
