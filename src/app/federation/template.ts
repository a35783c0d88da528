/**
 * `idcenter aws template`: the CloudFormation template of one `aws` account of an organization
 * file, holding what `idcenter apply` would provision there (the same `AccountSpec`), for
 * teams that deploy IAM with their own pipeline. Reads the file only: no store, no AWS call.
 */
import { DomainError } from '../../domain/errors.ts';
import { cloudFormationTemplate, type Template } from '../../domain/federation/cloudformation.ts';
import { type AccountSpec, accountSpec, type RoleDefinition } from '../../domain/federation/iam-roles.ts';
import type { Partition } from '../../domain/federation/partitions.ts';
import type { DesiredOrg } from '../org-file/model.ts';

export interface TemplateOptions {
  /** The account; may be left out when the file has one `aws` account. */
  accountId?: string | undefined;
  metadata: () => Promise<string>;
  audience: (partition: Partition) => string;
  /** The server's OIDC issuer URL, for `federation: oidc` accounts. */
  issuer: string;
}

/** The spec of one `aws` account of `org`: its provider (SAML or OIDC) and the roles of its assigned permission sets. */
export async function federatedAccountSpec(org: DesiredOrg, options: TemplateOptions): Promise<AccountSpec> {
  const federated = org.accounts.filter((a) => a.access === 'aws');
  let account = federated[0];
  if (options.accountId !== undefined) {
    const named = org.accounts.find((a) => a.id === options.accountId);
    if (!named) {
      throw new DomainError('not_found', `the organization file has no account ${options.accountId}`);
    }
    if (named.access !== 'aws') {
      throw new DomainError(
        'invalid_request',
        `account ${named.id} has access: ${named.access}; only aws accounts have IAM roles for idcenter (set access: aws)`,
      );
    }
    account = named;
  } else if (federated.length !== 1) {
    throw new DomainError(
      'invalid_request',
      federated.length === 0
        ? 'the organization file has no account with access: aws, so there is nothing to provision'
        : `the organization file has ${federated.length} accounts with access: aws (${federated.map((a) => a.id).join(', ')}): give --account ID for the one to write`,
    );
  }
  if (!account) throw new DomainError('invalid_request', 'no account to write a template for');
  const definitions = new Map<string, RoleDefinition>(org.permissionSets.map((p) => [p.key, p]));
  const keys = new Set(org.assignments.filter((a) => a.accountId === account.id).map((a) => a.permissionSet));
  const partition = account.partition ?? org.federation.partition;
  return accountSpec({
    accountId: account.id,
    partition,
    settings: org.federation,
    audience: options.audience(partition),
    metadata: account.federation === 'oidc' ? '' : await options.metadata(),
    oidc:
      account.federation === 'oidc'
        ? {
            issuer: options.issuer,
            audience: org.federation.oidcAudience,
            thumbprints: org.provisioning.oidcThumbprints,
          }
        : undefined,
    roles: [...keys].flatMap((k) => definitions.get(k) ?? []),
  });
}

/**
 * @example
 * const { template } = await accountTemplate(org, { accountId: '123456789012', metadata, audience });
 */
export async function accountTemplate(
  org: DesiredOrg,
  options: TemplateOptions,
): Promise<{ spec: AccountSpec; template: Template }> {
  const spec = await federatedAccountSpec(org, options);
  return { spec, template: cloudFormationTemplate(spec) };
}
