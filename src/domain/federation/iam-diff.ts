/**
 * The IAM calls that turn what an account has (`ObservedAccount`, read by
 * `app/federation/iam-observe.ts`) into what it should have (`AccountSpec`, `iam-roles.ts`),
 * one `IamChange` per call, in the order they can run: the provider before the roles that trust
 * it, a role before its policies; deletions roles first, the provider last.
 *
 * Only what carries this server's tag (`idcenter:managed-by=idcenter`) is changed or removed. A
 * role of the wanted name without the tag, or a SAML provider of the wanted name that trusts
 * another identity provider, is a problem that stops apply before any write: IAM role names are
 * unique in an account, and the other one is someone else's. A SAML provider made by hand from
 * this server's metadata (same entity id), or an OIDC provider made by hand for this server's
 * issuer (IAM names OIDC providers by their URL), is adopted: it can only ever trust this server.
 * An account trusts one provider, SAML or OIDC: the other kind, when idcenter made it, is removed
 * with --prune once the account changes protocol.
 *
 * Removing roles and providers the file no longer names is `prune`: listed always, done with
 * --prune only. Setting a role back to its permission set (a policy attached or detached by
 * hand, a trust policy edited) is not: apply repairs drift every time, and says so.
 */
import {
  type AccountSpec,
  INLINE_POLICY_NAME,
  MANAGED_TAG_KEY,
  MANAGED_TAG_VALUE,
  type OidcProviderSpec,
  type PolicyDocument,
  type RoleSpec,
  type SamlProviderSpec,
  type Tag,
} from './iam-roles.ts';

export interface ObservedRole {
  name: string;
  path: string;
  /** Carries `idcenter:managed-by=idcenter`. */
  managed: boolean;
  tags: Tag[];
  description: string;
  /** Parsed; null when IAM answered something that is not JSON. */
  trustPolicy: PolicyDocument | null;
  maxSessionDuration: number;
  permissionsBoundaryArn: string | null;
  attachedPolicyArns: string[];
  /** Inline policies by name, parsed (null: not JSON). */
  inlinePolicies: Map<string, PolicyDocument | null>;
}

export interface ObservedProvider {
  arn: string;
  metadata: string;
  /** Carries `idcenter:managed-by=idcenter` (IAM returns a provider's tags with it). */
  managed: boolean;
}

/** The OIDC provider of this server's issuer, as IAM has it. */
export interface ObservedOidcProvider {
  arn: string;
  clientIds: string[];
  thumbprints: string[];
  managed: boolean;
}

export interface ObservedAccount {
  accountId: string;
  /** The SAML provider of the wanted name. */
  provider: ObservedProvider | null;
  /** The OIDC provider of this server's issuer (absent: not looked up). */
  oidcProvider?: ObservedOidcProvider | null;
  /**
   * The roles that matter, by name: those with a wanted name (wherever their path), and those
   * under the role path that carry the tag.
   */
  roles: Map<string, ObservedRole>;
  /** Policies the wanted roles name that the account does not have (ARNs). */
  missingPolicies: Set<string>;
}

export type IamCall =
  | { call: 'CreateSAMLProvider'; name: string; metadata: string; tags: Tag[] }
  | { call: 'UpdateSAMLProvider'; arn: string; metadata: string }
  | { call: 'DeleteSAMLProvider'; arn: string }
  | {
      call: 'CreateOpenIDConnectProvider';
      url: string;
      clientIds: string[];
      thumbprints: string[];
      tags: Tag[];
    }
  | { call: 'AddClientIDToOpenIDConnectProvider'; arn: string; clientId: string }
  | { call: 'RemoveClientIDFromOpenIDConnectProvider'; arn: string; clientId: string }
  | { call: 'UpdateOpenIDConnectProviderThumbprint'; arn: string; thumbprints: string[] }
  | { call: 'DeleteOpenIDConnectProvider'; arn: string }
  | { call: 'CreateRole'; role: RoleSpec }
  | { call: 'UpdateAssumeRolePolicy'; roleName: string; document: PolicyDocument }
  | { call: 'UpdateRole'; roleName: string; maxSessionDuration: number; description: string }
  | { call: 'PutRolePermissionsBoundary'; roleName: string; arn: string }
  | { call: 'DeleteRolePermissionsBoundary'; roleName: string }
  | { call: 'AttachRolePolicy'; roleName: string; arn: string }
  | { call: 'DetachRolePolicy'; roleName: string; arn: string }
  | { call: 'PutRolePolicy'; roleName: string; policyName: string; document: PolicyDocument }
  | { call: 'DeleteRolePolicy'; roleName: string; policyName: string }
  | { call: 'TagRole'; roleName: string; tags: Tag[] }
  | { call: 'DeleteRole'; roleName: string };

export interface IamChange {
  accountId: string;
  /** How the plan marks it: `+`, `~` or `-`. */
  effect: 'create' | 'update' | 'delete';
  /** Removes what the file no longer names: only with --prune. */
  prune: boolean;
  /** The role or provider was changed outside idcenter, and this sets it back. */
  drift: boolean;
  call: IamCall;
  /** What the change does, in words, without the account. */
  summary: string;
}

export interface IamDiff {
  changes: IamChange[];
  /** Reasons apply cannot go on in this account (a name taken by someone else's role, a policy missing). */
  problems: string[];
  /** Things apply leaves alone and says so. */
  notes: string[];
}

export interface DiffOptions {
  /**
   * Permission sets whose definition this apply changes (or every one, when the federation
   * settings or the account's partition change): differences in their roles are the file's,
   * not drift.
   */
  changing: (permissionSet: string) => boolean;
}

/** Objects with their keys sorted, recursively: equal documents compare equal as text. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

export function samePolicy(a: PolicyDocument | null, b: PolicyDocument | null): boolean {
  return canonical(a) === canonical(b);
}

/** The entity id and certificates a metadata document names (what IAM trusts of it). */
export function metadataIdentity(metadata: string): { entityId: string | undefined; certificates: string[] } {
  const entityId = /\bentityID\s*=\s*"([^"]*)"/.exec(metadata)?.[1];
  const certificates = [...metadata.matchAll(/<(?:\w+:)?X509Certificate>([^<]*)<\//g)]
    .map((m) => (m[1] ?? '').replace(/\s+/g, ''))
    .sort();
  return { entityId, certificates };
}

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds} s`;
}

const ADOPT = (role: string) =>
  `aws iam tag-role --role-name ${role} --tags Key=${MANAGED_TAG_KEY},Value=${MANAGED_TAG_VALUE}`;

/** The calls that empty and delete a role of ours. */
function deleteRoleChanges(role: ObservedRole, base: Omit<IamChange, 'call' | 'summary' | 'effect'>) {
  const out: IamChange[] = [];
  for (const arn of role.attachedPolicyArns) {
    out.push({
      ...base,
      effect: 'delete',
      call: { call: 'DetachRolePolicy', roleName: role.name, arn },
      summary: `detach ${arn} from role ${role.name}`,
    });
  }
  for (const name of role.inlinePolicies.keys()) {
    out.push({
      ...base,
      effect: 'delete',
      call: { call: 'DeleteRolePolicy', roleName: role.name, policyName: name },
      summary: `delete inline policy ${name} of role ${role.name}`,
    });
  }
  out.push({
    ...base,
    effect: 'delete',
    call: { call: 'DeleteRole', roleName: role.name },
    summary: `delete role ${role.path}${role.name}`,
  });
  return out;
}

function createRoleChanges(spec: RoleSpec, accountId: string, drift: boolean): IamChange[] {
  const base = { accountId, prune: false, drift };
  const out: IamChange[] = [
    {
      ...base,
      effect: 'create',
      call: { call: 'CreateRole', role: spec },
      summary: `create role ${spec.path}${spec.name} (permission set ${spec.permissionSet}, sessions up to ${hours(spec.maxSessionDuration)}${spec.permissionsBoundaryArn ? `, boundary ${spec.permissionsBoundaryArn}` : ''})`,
    },
  ];
  for (const arn of spec.managedPolicyArns) {
    out.push({
      ...base,
      effect: 'create',
      call: { call: 'AttachRolePolicy', roleName: spec.name, arn },
      summary: `attach ${arn} to role ${spec.name}`,
    });
  }
  if (spec.inlinePolicy) {
    out.push({
      ...base,
      effect: 'create',
      call: {
        call: 'PutRolePolicy',
        roleName: spec.name,
        policyName: INLINE_POLICY_NAME,
        document: spec.inlinePolicy,
      },
      summary: `put inline policy ${INLINE_POLICY_NAME} on role ${spec.name}`,
    });
  }
  return out;
}

/** The calls that set an existing role of ours to `spec`. */
function updateRoleChanges(
  spec: RoleSpec,
  role: ObservedRole,
  accountId: string,
  drift: boolean,
): IamChange[] {
  const base = { accountId, prune: false, drift };
  const out: IamChange[] = [];
  const name = spec.name;
  if (!samePolicy(role.trustPolicy, spec.trustPolicy)) {
    out.push({
      ...base,
      effect: 'update',
      call: { call: 'UpdateAssumeRolePolicy', roleName: name, document: spec.trustPolicy },
      summary: `set the trust policy of role ${name}`,
    });
  }
  if (role.maxSessionDuration !== spec.maxSessionDuration || role.description !== spec.description) {
    const what: string[] = [];
    if (role.maxSessionDuration !== spec.maxSessionDuration) {
      what.push(`sessions up to ${hours(role.maxSessionDuration)} → ${hours(spec.maxSessionDuration)}`);
    }
    if (role.description !== spec.description) what.push('description');
    out.push({
      ...base,
      effect: 'update',
      call: {
        call: 'UpdateRole',
        roleName: name,
        maxSessionDuration: spec.maxSessionDuration,
        description: spec.description,
      },
      summary: `update role ${name} (${what.join(', ')})`,
    });
  }
  if (role.permissionsBoundaryArn !== spec.permissionsBoundaryArn) {
    out.push(
      spec.permissionsBoundaryArn
        ? {
            ...base,
            effect: 'update',
            call: { call: 'PutRolePermissionsBoundary', roleName: name, arn: spec.permissionsBoundaryArn },
            summary: `set the permissions boundary of role ${name} to ${spec.permissionsBoundaryArn}`,
          }
        : {
            ...base,
            effect: 'delete',
            call: { call: 'DeleteRolePermissionsBoundary', roleName: name },
            summary: `remove the permissions boundary of role ${name}`,
          },
    );
  }
  const attached = new Set(role.attachedPolicyArns);
  const wanted = new Set(spec.managedPolicyArns);
  for (const arn of spec.managedPolicyArns) {
    if (attached.has(arn)) continue;
    out.push({
      ...base,
      effect: 'create',
      call: { call: 'AttachRolePolicy', roleName: name, arn },
      summary: `attach ${arn} to role ${name}`,
    });
  }
  for (const arn of role.attachedPolicyArns) {
    if (wanted.has(arn)) continue;
    out.push({
      ...base,
      effect: 'delete',
      call: { call: 'DetachRolePolicy', roleName: name, arn },
      summary: `detach ${arn} from role ${name}`,
    });
  }
  for (const policyName of role.inlinePolicies.keys()) {
    if (policyName === INLINE_POLICY_NAME && spec.inlinePolicy) continue;
    out.push({
      ...base,
      effect: 'delete',
      call: { call: 'DeleteRolePolicy', roleName: name, policyName },
      summary: `delete inline policy ${policyName} of role ${name}`,
    });
  }
  if (spec.inlinePolicy) {
    const current = role.inlinePolicies.get(INLINE_POLICY_NAME);
    if (current === undefined || !samePolicy(current, spec.inlinePolicy)) {
      out.push({
        ...base,
        effect: current === undefined ? 'create' : 'update',
        call: {
          call: 'PutRolePolicy',
          roleName: name,
          policyName: INLINE_POLICY_NAME,
          document: spec.inlinePolicy,
        },
        summary: `${current === undefined ? 'put' : 'set'} inline policy ${INLINE_POLICY_NAME} on role ${name}`,
      });
    }
  }
  const tagValue = (tags: Tag[], key: string) => tags.find((t) => t.Key === key)?.Value;
  if (spec.tags.some((t) => tagValue(role.tags, t.Key) !== t.Value)) {
    out.push({
      ...base,
      effect: 'update',
      call: { call: 'TagRole', roleName: name, tags: spec.tags },
      summary: `tag role ${name} ${spec.tags.map((t) => `${t.Key}=${t.Value}`).join(' ')}`,
    });
  }
  return out;
}

function samlProviderChanges(
  spec: SamlProviderSpec,
  observed: ObservedProvider | null,
  accountId: string,
  problems: string[],
): IamChange[] {
  const base = { accountId, prune: false, drift: false };
  if (!observed) {
    return [
      {
        ...base,
        effect: 'create',
        call: { call: 'CreateSAMLProvider', name: spec.name, metadata: spec.metadata, tags: spec.tags },
        summary: `create SAML provider ${spec.name} from this server's metadata`,
      },
    ];
  }
  const want = metadataIdentity(spec.metadata);
  const have = metadataIdentity(observed.metadata);
  if (!observed.managed && have.entityId !== want.entityId) {
    problems.push(
      `SAML provider ${observed.arn} exists and trusts another identity provider (entity id ${have.entityId ?? 'unknown'}, not this server's ${want.entityId}); idcenter changes no provider it did not create. Set federation.providerName to another name, or delete that provider.`,
    );
    return [];
  }
  if (have.entityId === want.entityId && have.certificates.join() === want.certificates.join()) return [];
  const what = have.entityId !== want.entityId ? 'entity id' : 'signing certificates';
  return [
    {
      ...base,
      effect: 'update',
      call: { call: 'UpdateSAMLProvider', arn: observed.arn, metadata: spec.metadata },
      summary: `update SAML provider ${spec.name} from this server's metadata (its ${what} differ)`,
    },
  ];
}

/**
 * The OIDC provider of the issuer, with the token audience among its client ids and, when the
 * file gives thumbprints, exactly those. Other client ids go only from a provider idcenter made.
 */
function oidcProviderChanges(
  spec: OidcProviderSpec,
  observed: ObservedOidcProvider | null,
  accountId: string,
): IamChange[] {
  const base = { accountId, prune: false };
  if (!observed) {
    return [
      {
        ...base,
        drift: false,
        effect: 'create',
        call: {
          call: 'CreateOpenIDConnectProvider',
          url: spec.url,
          clientIds: spec.clientIds,
          thumbprints: spec.thumbprints,
          tags: spec.tags,
        },
        summary: `create OIDC provider ${spec.url} for audience ${spec.clientIds.join(', ')}`,
      },
    ];
  }
  const out: IamChange[] = [];
  for (const clientId of spec.clientIds) {
    if (observed.clientIds.includes(clientId)) continue;
    out.push({
      ...base,
      drift: true,
      effect: 'create',
      call: { call: 'AddClientIDToOpenIDConnectProvider', arn: observed.arn, clientId },
      summary: `add audience ${clientId} to OIDC provider ${spec.url}`,
    });
  }
  if (observed.managed) {
    for (const clientId of observed.clientIds) {
      if (spec.clientIds.includes(clientId)) continue;
      out.push({
        ...base,
        drift: true,
        effect: 'delete',
        call: { call: 'RemoveClientIDFromOpenIDConnectProvider', arn: observed.arn, clientId },
        summary: `remove audience ${clientId} from OIDC provider ${spec.url}`,
      });
    }
  }
  const sorted = (list: readonly string[]) =>
    [...list]
      .map((t) => t.toLowerCase())
      .sort()
      .join();
  if (spec.thumbprints.length > 0 && sorted(spec.thumbprints) !== sorted(observed.thumbprints)) {
    out.push({
      ...base,
      drift: true,
      effect: 'update',
      call: {
        call: 'UpdateOpenIDConnectProviderThumbprint',
        arn: observed.arn,
        thumbprints: spec.thumbprints,
      },
      summary: `set the thumbprints of OIDC provider ${spec.url} to ${spec.thumbprints.join(', ')}`,
    });
  }
  return out;
}

/**
 * What to do in one account. `spec` null: the account is no longer federated, and only removing
 * what idcenter made there is left (with --prune).
 *
 * @example
 * const { changes, problems } = diffAccount(spec, observed, { changing: () => false });
 */
export function diffAccount(
  spec: AccountSpec | null,
  observed: ObservedAccount,
  options: DiffOptions,
): IamDiff {
  const { accountId } = observed;
  const problems: string[] = [];
  const notes: string[] = [];
  const changes: IamChange[] = [];
  const wanted = new Map((spec?.roles ?? []).map((r) => [r.name, r]));

  if (spec) {
    changes.push(
      ...(spec.provider.kind === 'saml'
        ? samlProviderChanges(spec.provider, observed.provider, accountId, problems)
        : oidcProviderChanges(spec.provider, observed.oidcProvider ?? null, accountId)),
    );
    for (const role of spec.roles) {
      const have = observed.roles.get(role.name);
      if (!have) {
        changes.push(...createRoleChanges(role, accountId, false));
        continue;
      }
      if (!have.managed) {
        problems.push(
          `role ${have.path}${have.name} exists and was not created by idcenter (it has no tag ${MANAGED_TAG_KEY}=${MANAGED_TAG_VALUE}); idcenter changes no role it did not create. Delete it, or let idcenter manage it: ${ADOPT(have.name)}`,
        );
        continue;
      }
      const drift = !options.changing(role.permissionSet);
      if (have.path !== role.path) {
        // IAM cannot move a role: delete it and create it under the new path.
        const base = { accountId, prune: false, drift: false };
        changes.push(...deleteRoleChanges(have, base), ...createRoleChanges(role, accountId, false));
        continue;
      }
      changes.push(...updateRoleChanges(role, have, accountId, drift));
    }
    for (const role of spec.roles) {
      for (const arn of [
        ...role.managedPolicyArns,
        ...(role.permissionsBoundaryArn ? [role.permissionsBoundaryArn] : []),
      ]) {
        if (observed.missingPolicies.has(arn)) {
          problems.push(
            `policy ${arn} (of permission set ${role.permissionSet}) does not exist in the account: ${arn.includes(':iam::aws:policy') ? 'check its name (an AWS managed policy)' : 'create it there first (a customer managed policy is looked up by name and path in each account)'}`,
          );
        }
      }
    }
  }

  // What idcenter made and the file no longer names: with --prune only.
  const base = { accountId, prune: true, drift: false };
  for (const role of [...observed.roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (wanted.has(role.name) || !role.managed) continue;
    changes.push(...deleteRoleChanges(role, base));
  }
  if (spec?.provider.kind !== 'saml' && observed.provider) {
    const providerName = observed.provider.arn.replace(/^.*saml-provider\//, '');
    if (observed.provider.managed) {
      changes.push({
        ...base,
        effect: 'delete',
        call: { call: 'DeleteSAMLProvider', arn: observed.provider.arn },
        summary: `delete SAML provider ${providerName}`,
      });
    } else {
      notes.push(
        `SAML provider ${observed.provider.arn} has no tag ${MANAGED_TAG_KEY}=${MANAGED_TAG_VALUE}, so --prune leaves it; delete it by hand if nothing trusts it any more`,
      );
    }
  }
  const oidc = observed.oidcProvider;
  if (spec?.provider.kind !== 'oidc' && oidc) {
    if (oidc.managed) {
      changes.push({
        ...base,
        effect: 'delete',
        call: { call: 'DeleteOpenIDConnectProvider', arn: oidc.arn },
        summary: `delete OIDC provider ${oidc.arn.replace(/^.*oidc-provider\//, '')}`,
      });
    } else {
      notes.push(
        `OIDC provider ${oidc.arn} has no tag ${MANAGED_TAG_KEY}=${MANAGED_TAG_VALUE}, so --prune leaves it; delete it by hand if nothing trusts it any more`,
      );
    }
  }
  return { changes, problems, notes };
}
