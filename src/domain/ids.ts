/**
 * Identifiers in the AWS formats (docs/behaviour.md, "Identifiers"), made from injected
 * randomness.
 */
import type { Random } from './runtime.ts';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Unbiased characters from `alphabet` (rejection sampling). */
export function randomString(random: Random, alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export function hex(random: Random, length: number): string {
  return random
    .bytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** RFC 4122 version 4 UUID, lower-case. */
export function uuid(random: Random): string {
  return random.uuid();
}

/** High-entropy opaque token (base64url), for codes, tokens and secrets. */
export function opaqueToken(random: Random, bytes = 32): string {
  return random.bytes(bytes).toString('base64url');
}

export const newInstanceId = (r: Random) => `ssoins-${hex(r, 16)}`;
export const newIdentityStoreId = (r: Random) => `d-${hex(r, 10)}`;
export const newOrganizationId = (r: Random) => `o-${randomString(r, LOWER_ALNUM, 10)}`;
export const newRootId = (r: Random) => `r-${randomString(r, LOWER_ALNUM, 4)}`;
export const newOuId = (r: Random, rootId: string) =>
  `ou-${rootId.slice(2, 6)}-${randomString(r, LOWER_ALNUM, 8)}`;
export const newPermissionSetId = (r: Random) => `ps-${hex(r, 16)}`;
/** Directory ids: `<10 hex of the identity store>-<UUID>`, as AWS issues them. */
export const newDirectoryId = (r: Random, identityStoreId: string) =>
  `${identityStoreId.slice(2)}-${uuid(r)}`;
export const newRoleHash = (r: Random) => hex(r, 16);
export const newRoleId = (r: Random) => `AROA${randomString(r, UPPER_ALNUM, 17)}`;
