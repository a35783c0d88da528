/**
 * Who calls the admin APIs and what their permission set lets them do. A caller signs with role
 * credentials this server issued (`credentials/seal.ts` claims); the permission set of those
 * credentials must be one of the administrators' (`permission_sets.administrators`, set by the
 * organization file's `administrators.permissionSets` or `idcenter admin grant`), and each call
 * is then decided by evaluating that permission set as an identity policy (`domain/iam`): its AWS
 * managed policies, its inline policy and its permissions boundary. Customer managed policy
 * references name policies in the AWS accounts, which this server cannot read: they grant
 * nothing here, and a boundary given as one allows nothing (docs/iam-policy-evaluation.md).
 */

import { DomainError } from '../../domain/errors.ts';
import { parseStringMap, sessionTagsFor } from '../../domain/federation/session-tags.ts';
import { accessDeniedMessage } from '../../domain/iam/access-denied.ts';
import { buildRequestContext, type ContextInput } from '../../domain/iam/context.ts';
import { awsManagedPolicy } from '../../domain/iam/managed-policies.ts';
import type { OperationAuthorization } from '../../domain/iam/operations.ts';
import { type Policy, parsePolicyText } from '../../domain/iam/policy.ts';
import { evaluateResources } from '../../domain/iam/policy-evaluation.ts';
import type { AppContext } from '../context.ts';
import { assumedRoleArn, callerUserId, type RoleSessionClaims } from '../credentials/seal.ts';
import type { AdminCaller } from './caller-type.ts';

export type { AdminCaller };

/** What a request adds to the caller: the region it was signed for, the client address. */
export interface AdminRequestFacts {
  region: string;
  sourceIp: string;
  secureTransport: boolean;
}

const NOTHING: Policy = { name: 'unreadable permissions boundary', statements: [] };

/** Allowed calls kept per caller (`AdminCaller.decisions`); all dropped when it is full. */
const MAX_DECISIONS = 1000;

/**
 * The caller of verified credentials, read from the store (kept while the store generation
 * stands still: `memory.adminCallers`; `generation` is that value when the caller has just read
 * it). Undefined when the user or permission set is gone or the user is disabled: such
 * credentials are refused like unknown ones.
 */
export async function loadAdminCaller(
  ctx: AppContext,
  claims: RoleSessionClaims,
  partition: string,
  generation?: number,
): Promise<AdminCaller | undefined> {
  generation ??= await ctx.store.generation();
  const key = `${claims.userId}|${claims.permissionSetId}|${claims.accountId}|${claims.roleHash}`;
  const kept = ctx.memory.adminCallers.get(generation, key);
  if (kept) return { ...kept, claims, principalArn: assumedRoleArn(partition, claims) };
  const caller = await readCaller(ctx, claims, partition);
  if (caller?.administrator) ctx.memory.adminCallers.set(generation, key, caller);
  return caller;
}

async function readCaller(
  ctx: AppContext,
  claims: RoleSessionClaims,
  partition: string,
): Promise<AdminCaller | undefined> {
  const db = ctx.store.db;
  const [ps, user, managed] = await Promise.all([
    db
      .selectFrom('permission_sets')
      .select(['name', 'inline_policy', 'permissions_boundary', 'session_tags', 'administrators'])
      .where('id', '=', claims.permissionSetId)
      .executeTakeFirst(),
    db
      .selectFrom('users')
      .select([
        'user_name',
        'email',
        'display_name',
        'given_name',
        'family_name',
        'status',
        'custom_attributes',
      ])
      .where('id', '=', claims.userId)
      .executeTakeFirst(),
    db
      .selectFrom('ps_managed_policies')
      .select('arn')
      .where('permission_set_id', '=', claims.permissionSetId)
      .orderBy('arn')
      .execute(),
  ]);
  if (!ps || !user || user.status !== 'ENABLED') return undefined;
  const policies: Policy[] = [];
  for (const { arn } of managed) {
    const policy = awsManagedPolicy(arn);
    if (policy) policies.push(policy);
  }
  if (ps.inline_policy) {
    const parsed = parsePolicyText('inline policy', ps.inline_policy);
    if (parsed.ok) policies.push(parsed.policy);
  }
  const tags = sessionTagsFor(
    parseStringMap(ps.session_tags),
    {
      userName: user.user_name,
      email: user.email,
      displayName: user.display_name,
      givenName: user.given_name,
      familyName: user.family_name,
      attributes: parseStringMap(user.custom_attributes),
    },
    ps.name,
  );
  const roleName = assumedRoleArn(partition, claims).split('/')[1] ?? '';
  const boundary = boundaryPolicy(ps.permissions_boundary);
  const contextFree = [...policies, ...(boundary ? [boundary] : [])].every((p) =>
    p.statements.every((st) => st.contextFree),
  );
  return {
    claims,
    principalArn: assumedRoleArn(partition, claims),
    roleArn: `arn:${partition}:iam::${claims.accountId}:role/aws-reserved/sso.amazonaws.com/${roleName}`,
    actor: `user:${claims.userId}`,
    policies,
    boundary,
    principalTags: 'tags' in tags ? tags.tags : {},
    administrator: ps.administrators === 1,
    decisions: contextFree ? new Map() : undefined,
  };
}

function boundaryPolicy(stored: string | null): Policy | undefined {
  if (!stored) return undefined;
  try {
    const b = JSON.parse(stored) as { ManagedPolicyArn?: string };
    return (b.ManagedPolicyArn && awsManagedPolicy(b.ManagedPolicyArn)) || NOTHING;
  } catch {
    return NOTHING;
  }
}

export interface AuthorizeInput {
  operation: OperationAuthorization;
  /** The ARNs of the resources the operation acts on; empty means `*`. */
  resources: readonly string[];
  facts: AdminRequestFacts;
  /** Tags of the resource acted on, tags the request sets, other condition keys. */
  resourceTags?: Readonly<Record<string, string>>;
  requestTags?: Readonly<Record<string, string>>;
  tagKeys?: readonly string[];
  otherKeys?: Readonly<Record<string, ContextInput>>;
  /**
   * Condition keys the request's values of are not known yet: allowed when some values of them
   * may be (`EvaluationOptions.unknownKeys`), to offer a form before it is filled in.
   */
  unknownKeys?: (key: string) => boolean;
  now: number;
}

/**
 * Throws `access_denied` (AccessDeniedException naming the action) unless the caller may make
 * this call.
 */
export function authorizeAdmin(caller: AdminCaller, input: AuthorizeInput): void {
  const { operation, facts } = input;
  const decisions = caller.administrator ? caller.decisions : undefined;
  const decision = decisions ? `${operation.action}\n${input.resources.join('\n')}` : '';
  if (decisions?.has(decision)) return;
  const context = buildRequestContext({
    principalArn: caller.roleArn,
    userId: callerUserId(caller.claims),
    principalTags: caller.principalTags,
    requestedRegion: facts.region,
    sourceIp: facts.sourceIp,
    secureTransport: facts.secureTransport,
    currentTime: new Date(input.now),
    multiFactorAuthPresent: undefined,
    resourceTags: input.resourceTags,
    requestTags: input.requestTags,
    tagKeys: input.tagKeys,
    otherKeys: input.otherKeys,
  });
  const resources = input.resources.length === 0 ? ['*'] : input.resources;
  if (!caller.administrator) {
    throw new DomainError(
      'access_denied',
      `User: ${caller.principalArn} is not authorized to perform: ${operation.action}${
        resources[0] === '*' ? '' : ` on resource: ${resources[0]}`
      } because its permission set is not one of the administrators' permission sets`,
    );
  }
  const result = evaluateResources({ action: operation.action, resources, context }, caller.policies, {
    permissionsBoundary: caller.boundary,
    unknownKeys: input.unknownKeys,
  });
  if (result.decision === 'allow') {
    if (decisions) {
      if (decisions.size >= MAX_DECISIONS) decisions.clear();
      decisions.set(decision, true);
    }
    return;
  }
  throw new DomainError(
    'access_denied',
    accessDeniedMessage({
      principalArn: caller.principalArn,
      action: operation.action,
      resource: result.resource,
      result,
    }),
  );
}
