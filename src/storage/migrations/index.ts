/**
 * Append-only numbered migrations. Each runs in its own transaction (Kysely's Migrator does
 * that on both dialects) and is written with the schema builder, so one file serves SQLite
 * and PostgreSQL. Never edit a migration that has landed: add the next number.
 */
import type { Migration } from 'kysely';
import { m001Directory } from './001-directory.ts';
import { m002Auth } from './002-auth.ts';
import { m003Credentials } from './003-credentials.ts';
import { m004Generation } from './004-generation.ts';
import { m007KeysHeartbeat } from './007-keys-heartbeat.ts';
import { m008SessionOrigin } from './008-session-origin.ts';
import { m009ThrottleForgiven } from './009-throttle-forgiven.ts';
import { m011ExpiryIndexes } from './011-expiry-indexes.ts';
import { m012Federation } from './012-federation.ts';
import { m016LiveUserCodes } from './016-live-user-codes.ts';
import { m018FederationWeb } from './018-federation-web.ts';
import { m019AdminPlane } from './019-admin-plane.ts';
import { m020IdentitySource } from './020-identity-source.ts';
import { m024UserSearch } from './024-user-search.ts';
import { m025InstanceGeneration } from './025-instance-generation.ts';
import { m026UserProfileAttributes } from './026-user-profile-attributes.ts';
import { m027AssignmentPrincipalsIndex } from './027-assignment-principals-index.ts';

export const migrations: Record<string, Migration> = {
  '001-directory': m001Directory,
  '002-auth': m002Auth,
  '003-credentials': m003Credentials,
  '004-generation': m004Generation,
  '007-keys-heartbeat': m007KeysHeartbeat,
  '008-session-origin': m008SessionOrigin,
  '009-throttle-forgiven': m009ThrottleForgiven,
  '011-expiry-indexes': m011ExpiryIndexes,
  '012-federation': m012Federation,
  '016-live-user-codes': m016LiveUserCodes,
  '018-federation-web': m018FederationWeb,
  '019-admin-plane': m019AdminPlane,
  '020-identity-source': m020IdentitySource,
  '024-user-search': m024UserSearch,
  '025-instance-generation': m025InstanceGeneration,
  '026-user-profile-attributes': m026UserProfileAttributes,
  '027-assignment-principals-index': m027AssignmentPrincipalsIndex,
};
