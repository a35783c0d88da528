/**
 * STS GetCallerIdentity (docs/wire-protocols.md, "GetCallerIdentity"): who the signed request's
 * credentials are.
 */
import { assumedRoleArn, callerUserId, type RoleSessionClaims } from '../../app/credentials/seal.ts';
import { xmlFields } from '../codecs/aws-query.ts';

export function getCallerIdentity(claims: RoleSessionClaims, partition: string): string {
  return xmlFields([
    ['Arn', assumedRoleArn(partition, claims)],
    ['UserId', callerUserId(claims)],
    ['Account', claims.accountId],
  ]);
}
