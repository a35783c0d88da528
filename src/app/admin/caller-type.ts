/**
 * A caller of the admin APIs as `caller.ts` reads it, kept by the server between calls
 * (`memory.adminCallers`): a file of its own so the context's memory can name it.
 */
import type { Policy } from '../../domain/iam/policy.ts';
import type { RoleSessionClaims } from '../credentials/seal.ts';

/** A caller of the admin APIs, with the policies of its permission set. */
export interface AdminCaller {
  claims: RoleSessionClaims;
  /** `arn:aws:sts::<account>:assumed-role/AWSReservedSSO_<ps>_<hash>/<user>`: named in denials. */
  principalArn: string;
  /** The role's ARN (`aws:PrincipalArn`). */
  roleArn: string;
  /** The audit actor of the changes it makes: `user:<id>`. */
  actor: string;
  /** Managed and inline policies. */
  policies: readonly Policy[];
  /** The permissions boundary; a boundary this server cannot read allows nothing. */
  boundary: Policy | undefined;
  /** `aws:PrincipalTag/<key>`: the session tags of the permission set for this user. */
  principalTags: Readonly<Record<string, string>>;
  /** False when the permission set is not an administrators' one: every call is denied. */
  administrator: boolean;
  /**
   * The calls allowed so far (action and resources), when every statement of the policies and
   * the boundary is context-free (`Statement.contextFree`): a decision that then depends on
   * nothing else is taken again without evaluating. Undefined otherwise. Kept with the caller,
   * so it goes when the store generation moves (a policy changed, the user disabled).
   */
  decisions: Map<string, true> | undefined;
}
