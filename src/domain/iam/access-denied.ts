/**
 * The message of an AccessDeniedException, in the words AWS uses for a denied identity-based
 * request ("Troubleshoot access denied error messages" in the IAM User Guide):
 *
 *   User: <principal> is not authorized to perform: <action> on resource: <arn> because no
 *   identity-based policy allows the <action> action
 *   User: <principal> is not authorized to perform: <action> on resource: <arn> with an explicit
 *   deny in an identity-based policy
 *
 * and "permissions boundary" in place of "identity-based policy" when the boundary denied. For an
 * action without resource types (authorised against `*`) the "on resource" part is left out, as
 * AWS does.
 */
import type { EvaluationResult } from './policy-evaluation.ts';

export interface AccessDeniedInput {
  /** The caller, e.g. `arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123/alice`. */
  principalArn: string;
  action: string;
  resource: string;
  /** A denying result of `evaluate` (an `allow` is a programming error). */
  result: EvaluationResult;
}

/**
 * @example accessDeniedMessage({ principalArn, action: 'sso:CreatePermissionSet', resource: instanceArn, result })
 * // 'User: arn:… is not authorized to perform: sso:CreatePermissionSet on resource: arn:aws:sso:::instance/ssoins-… because no identity-based policy allows the sso:CreatePermissionSet action'
 */
export function accessDeniedMessage(input: AccessDeniedInput): string {
  const { principalArn, action, resource, result } = input;
  if (result.decision === 'allow') throw new Error('accessDeniedMessage: the request was allowed');
  const kind = result.deniedBy ?? 'identity-based policy';
  const article = kind === 'identity-based policy' ? 'an' : 'a';
  const onResource = resource === '*' ? '' : ` on resource: ${resource}`;
  const why =
    result.decision === 'explicit-deny'
      ? `with an explicit deny in ${article} ${kind}`
      : `because no ${kind} allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action}${onResource} ${why}`;
}
