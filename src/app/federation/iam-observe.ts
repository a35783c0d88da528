/**
 * Reading what an account's IAM has of what `idcenter apply` provisions: the SAML provider of
 * the wanted name, the OIDC provider of this server's issuer, the roles of the wanted names (wherever their path) and the roles under the
 * role path, each with its tags, trust policy, session length, boundary, attached and inline
 * policies; and which of the policies the wanted roles name do not exist. Only reads.
 *
 * IAM returns policy documents URL-encoded (`GetRole`, `GetRolePolicy`); they are decoded and
 * parsed here, so `domain/federation/iam-diff.ts` compares documents, not text.
 */
import type { ObservedAccount, ObservedRole } from '../../domain/federation/iam-diff.ts';
import {
  type AccountSpec,
  isManaged,
  type PolicyDocument,
  policiesOf,
  type Tag,
} from '../../domain/federation/iam-roles.ts';
import { oidcProviderArn, samlProviderArn } from '../../domain/federation/partitions.ts';
import type { AwsAccess, ReachedAccount } from './aws-access.ts';

/** Run `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function isNoSuchEntity(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

/** A policy document as IAM returns it: URL-encoded JSON (or plain JSON from some stand-ins). */
export function parsePolicyDocument(text: string | undefined): PolicyDocument | null {
  if (text === undefined) return null;
  for (const candidate of [text, safeDecode(text)]) {
    if (candidate === undefined) continue;
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as PolicyDocument;
    } catch {}
  }
  return null;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function tagsOf(
  tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined,
): Tag[] {
  return (tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

export interface ObserveInput {
  /** What the account should have; null when only removals are left (no longer `aws`). */
  spec: AccountSpec | null;
  providerName: string;
  rolePath: string;
  /** This server's issuer URL, which names its OIDC provider. */
  issuer: string;
}

/**
 * Read one account.
 *
 * @example const observed = await observeAccount(access, reached, { spec, providerName, rolePath });
 */
export async function observeAccount(
  access: AwsAccess,
  account: ReachedAccount,
  input: ObserveInput,
): Promise<ObservedAccount> {
  const { iam, sdk, accountId, endpoint } = account;
  const send = <T>(action: string, fn: (signal: AbortSignal) => Promise<T>) =>
    access.call({ action, accountId, service: 'IAM', endpoint }, fn);
  /** `fn`'s answer, or null when IAM says there is no such entity. */
  const maybe = <T>(action: string, fn: (signal: AbortSignal) => Promise<T>) =>
    send(action, async (signal) => {
      try {
        return await fn(signal);
      } catch (err) {
        if (isNoSuchEntity(err)) return null;
        throw err;
      }
    });

  const providerArn = samlProviderArn(account.partition, accountId, input.providerName);
  const provider = await maybe(`GetSAMLProvider ${providerArn}`, (s) =>
    iam.send(new sdk.GetSAMLProviderCommand({ SAMLProviderArn: providerArn }), { abortSignal: s }),
  );

  const oidcArn = oidcProviderArn(account.partition, accountId, input.issuer);
  const oidc = await maybe(`GetOpenIDConnectProvider ${oidcArn}`, (s) =>
    iam.send(new sdk.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: oidcArn }), {
      abortSignal: s,
    }),
  );

  const listed: string[] = [];
  let marker: string | undefined;
  do {
    const page = await send(`ListRoles ${input.rolePath}`, (s) =>
      iam.send(
        new sdk.ListRolesCommand({ PathPrefix: input.rolePath, ...(marker ? { Marker: marker } : {}) }),
        {
          abortSignal: s,
        },
      ),
    );
    for (const r of page.Roles ?? []) if (r.Path === input.rolePath && r.RoleName) listed.push(r.RoleName);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);

  const names = [...new Set([...(input.spec?.roles.map((r) => r.name) ?? []), ...listed])];
  const roles = new Map<string, ObservedRole>();
  await mapLimit(names, 4, async (name) => {
    const got = await maybe(`GetRole ${name}`, (s) =>
      iam.send(new sdk.GetRoleCommand({ RoleName: name }), { abortSignal: s }),
    );
    const role = got?.Role;
    if (!role) return;
    const tags = tagsOf(role.Tags);
    const observed: ObservedRole = {
      name,
      path: role.Path ?? '/',
      managed: isManaged(tags),
      tags,
      description: role.Description ?? '',
      trustPolicy: parsePolicyDocument(role.AssumeRolePolicyDocument),
      maxSessionDuration: role.MaxSessionDuration ?? 3600,
      permissionsBoundaryArn: role.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
      attachedPolicyArns: [],
      inlinePolicies: new Map(),
    };
    roles.set(name, observed);
    if (!observed.managed) return;
    let m: string | undefined;
    do {
      const page = await send(`ListAttachedRolePolicies ${name}`, (s) =>
        iam.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: name, ...(m ? { Marker: m } : {}) }), {
          abortSignal: s,
        }),
      );
      for (const p of page.AttachedPolicies ?? [])
        if (p.PolicyArn) observed.attachedPolicyArns.push(p.PolicyArn);
      m = page.IsTruncated ? page.Marker : undefined;
    } while (m);
    const inline: string[] = [];
    do {
      const page = await send(`ListRolePolicies ${name}`, (s) =>
        iam.send(new sdk.ListRolePoliciesCommand({ RoleName: name, ...(m ? { Marker: m } : {}) }), {
          abortSignal: s,
        }),
      );
      inline.push(...(page.PolicyNames ?? []));
      m = page.IsTruncated ? page.Marker : undefined;
    } while (m);
    for (const policyName of inline) {
      const p = await maybe(`GetRolePolicy ${name} ${policyName}`, (s) =>
        iam.send(new sdk.GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }), {
          abortSignal: s,
        }),
      );
      if (p) observed.inlinePolicies.set(policyName, parsePolicyDocument(p.PolicyDocument));
    }
  });

  // Policies the wanted roles name: those already attached exist; the others are looked up.
  const attached = new Set([...roles.values()].flatMap((r) => r.attachedPolicyArns));
  const toCheck = [
    ...new Set((input.spec?.roles ?? []).flatMap((r) => policiesOf(r).map((p) => p.arn))),
  ].filter((arn) => !attached.has(arn));
  const missingPolicies = new Set<string>();
  await mapLimit(toCheck, 4, async (arn) => {
    const found = await maybe(`GetPolicy ${arn}`, (s) =>
      iam.send(new sdk.GetPolicyCommand({ PolicyArn: arn }), { abortSignal: s }),
    );
    if (!found) missingPolicies.add(arn);
  });

  return {
    accountId,
    provider: provider
      ? {
          arn: providerArn,
          metadata: provider.SAMLMetadataDocument ?? '',
          managed: isManaged(tagsOf(provider.Tags)),
        }
      : null,
    oidcProvider: oidc
      ? {
          arn: oidcArn,
          clientIds: oidc.ClientIDList ?? [],
          thumbprints: oidc.ThumbprintList ?? [],
          managed: isManaged(tagsOf(oidc.Tags)),
        }
      : null,
    roles,
    missingPolicies,
  };
}
