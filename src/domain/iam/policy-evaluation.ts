/**
 * Identity-policy evaluation for one request in one account ("Policy evaluation logic",
 * "Policy evaluation for requests within a single account"):
 *
 * 1. An explicit Deny in any statement that applies (in the identity policies or in the
 *    permissions boundary) decides: explicit deny.
 * 2. Otherwise an Allow that applies in some identity policy is needed, else implicit deny.
 * 3. When a permissions boundary is given, it must allow too (the intersection), else implicit
 *    deny.
 *
 * A statement applies when its Action/NotAction covers the action, its Resource/NotResource the
 * resource, and every condition holds. A condition that cannot be evaluated (`invalid`, reported
 * when the policy was parsed) fails closed: it makes an Allow statement not apply and a Deny
 * statement apply.
 *
 * A request whose values for some condition keys are not known yet (the tags of a form not filled
 * in) can be asked whether it may be allowed for some of their values (`unknownKeys`): a
 * condition on such a key then counts as holding in an Allow statement and as failing in a Deny
 * one, so only a Deny that applies whatever they are decides.
 *
 * Not evaluated: resource-based policies, SCPs and RCPs, session policies (see
 * docs/iam-policy-evaluation.md).
 */
import type { RequestContext } from './context.ts';
import type { Policy, Statement } from './policy.ts';

export interface AuthorizationRequest {
  /** `service:Action`, e.g. `sso:CreatePermissionSet`. */
  action: string;
  /** The ARN the action acts on, or `*` for an action without resource types. */
  resource: string;
  context: RequestContext;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

/** Which kind of policy a decision came from, in the words AWS error messages use. */
export type PolicyKind = 'identity-based policy' | 'permissions boundary';

export interface MatchedStatement {
  /** The `name` of the policy. */
  policy: string;
  statementIndex: number;
  sid: string | undefined;
}

export interface EvaluationResult {
  decision: Decision;
  /** The Allow statement that granted, or the Deny statement that refused; absent for implicit deny. */
  matched?: MatchedStatement;
  /** For a deny: the policy kind that denied (explicitly, or by not allowing). */
  deniedBy?: PolicyKind;
}

export interface EvaluationOptions {
  /** The caller's permissions boundary: it caps what the identity policies grant. */
  permissionsBoundary?: Policy | undefined;
  /**
   * The condition keys (given in lower case) whose values the request is not known to have yet:
   * the decision is then `allow` when some values of them may be allowed. Each condition on one
   * is taken to hold in an Allow statement and to fail in a Deny statement, one by one, so
   * conditions that no single request could meet together still allow; the request, once its
   * values are known, must be evaluated again.
   */
  unknownKeys?: ((key: string) => boolean) | undefined;
}

/**
 * Evaluates a request against identity policies (and a permissions boundary).
 *
 * @example
 * const { policy } = parsePolicy('inline', doc); // ok: true
 * evaluate({ action: 'sso:ListInstances', resource: '*', context }, [policy]).decision // 'allow'
 */
export function evaluate(
  request: AuthorizationRequest,
  policies: readonly Policy[],
  options: EvaluationOptions = {},
): EvaluationResult {
  const boundary = options.permissionsBoundary;
  const unknown = options.unknownKeys;
  const identityDeny = firstApplying(request, policies, 'Deny', unknown);
  if (identityDeny)
    return { decision: 'explicit-deny', matched: identityDeny, deniedBy: 'identity-based policy' };
  if (boundary) {
    const boundaryDeny = firstApplying(request, [boundary], 'Deny', unknown);
    if (boundaryDeny)
      return { decision: 'explicit-deny', matched: boundaryDeny, deniedBy: 'permissions boundary' };
  }
  const allow = firstApplying(request, policies, 'Allow', unknown);
  if (!allow) return { decision: 'implicit-deny', deniedBy: 'identity-based policy' };
  if (boundary && !firstApplying(request, [boundary], 'Allow', unknown)) {
    return { decision: 'implicit-deny', deniedBy: 'permissions boundary' };
  }
  return { decision: 'allow', matched: allow };
}

export interface MultiResourceRequest {
  action: string;
  /** Every resource the operation needs the action on; empty means `*`. */
  resources: readonly string[];
  context: RequestContext;
}

/**
 * Evaluates an action that an operation needs on several resources (CreateAccountAssignment needs
 * it on the instance, the permission set and the account): allowed only if allowed on each. An
 * explicit deny on any resource is reported before an implicit one.
 *
 * @example evaluateResources({ action: 'sso:CreateAccountAssignment', resources: [instanceArn, psArn, accountArn], context }, policies)
 */
export function evaluateResources(
  request: MultiResourceRequest,
  policies: readonly Policy[],
  options: EvaluationOptions = {},
): EvaluationResult & { resource: string } {
  const resources = request.resources.length === 0 ? ['*'] : request.resources;
  const results = resources.map((resource) => ({
    ...evaluate({ action: request.action, resource, context: request.context }, policies, options),
    resource,
  }));
  return (
    results.find((r) => r.decision === 'explicit-deny') ??
    results.find((r) => r.decision === 'implicit-deny') ??
    (results[0] as EvaluationResult & { resource: string })
  );
}

function firstApplying(
  request: AuthorizationRequest,
  policies: readonly Policy[],
  effect: 'Allow' | 'Deny',
  unknown: EvaluationOptions['unknownKeys'],
): MatchedStatement | undefined {
  for (const policy of policies) {
    for (const st of policy.statements) {
      if (st.effect === effect && applies(st, request, unknown)) {
        return { policy: policy.name, statementIndex: st.index, sid: st.sid };
      }
    }
  }
  return undefined;
}

function applies(
  st: Statement,
  request: AuthorizationRequest,
  unknown: EvaluationOptions['unknownKeys'],
): boolean {
  if (!st.matchesAction(request.action)) return false;
  if (!st.matchesResource(request.resource, request.context)) return false;
  for (const condition of st.conditions) {
    const evaluated = condition.evaluate(request.context);
    // A key not known yet: possibly true for an Allow, possibly false for a Deny (one IAM would
    // reject still fails closed).
    const result = evaluated !== 'invalid' && unknown?.(condition.key) ? st.effect === 'Allow' : evaluated;
    const holds = result === 'invalid' ? st.effect === 'Deny' : result;
    if (!holds) return false;
  }
  return true;
}
