/**
 * Role credentials for a federated (`aws`) account: real AWS credentials, through IAM SAML
 * federation, in place of the server's own sealed ones. `vendRoleCredentials` has already
 * checked the user's access; this builds the SAML Response AWS documents (issuer = this
 * server's entity id, audience = the partition's sign-in endpoint, the role of the permission
 * set and the account's SAML provider, the user name as session name and source identity, the
 * permission set's session duration), signs it, asks STS `AssumeRoleWithSAML` for credentials,
 * audits the call with STS's request id, and returns them. Nothing of them is kept.
 *
 * STS's refusals become portal errors that say what to fix: the role missing or not trusting
 * the provider, the provider missing, a session longer than the role allows, a refused
 * assertion (clocks), STS unreachable or slow.
 */
import { DomainError } from '../../domain/errors.ts';
import {
  type Partition,
  roleArn as roleArnOf,
  samlProviderArn,
  signinEndpoint,
  stsEndpoint,
} from '../../domain/federation/partitions.ts';
import { buildSamlResponse } from '../../domain/federation/saml-response.ts';
import { type FederationSettings, regionFor, roleNameFor } from '../../domain/federation/settings.ts';
import type { Store } from '../../storage/db.ts';
import { generationCaches } from '../../storage/generation-cache.ts';
import { getCredentialService } from '../credentials/service.ts';
import type { VendedCredentials, VendInput } from '../credentials/vend-input.ts';
import type { ServerDeps } from '../server-deps.ts';
import type { Federation } from './federation.ts';
import type { SamlIdentityProvider } from './identity-provider.ts';
import { signSamlResponse } from './saml-signer.ts';
import { loadFederationSettings } from './stored-settings.ts';
import { StsCallError, type StsCredentials } from './sts.ts';

/** How an account is reached, as the store has it. */
export interface AccountAccess {
  access: string;
  partition: Partition | null;
}

/** Accounts' access modes while the store generation stands still (`accounts` is watched). */
const accountAccessCache = generationCaches<AccountAccess>();

/**
 * The account's access mode and partition when it is federated (`aws`), else undefined. Read
 * once per account and store generation: a changed mode raises the generation.
 */
export async function federatedAccount(
  store: Store,
  generation: number,
  accountId: string,
): Promise<AccountAccess | undefined> {
  const cache = accountAccessCache(store);
  let found = cache.get(generation, accountId);
  if (!found) {
    const row = await store.db
      .selectFrom('accounts')
      .select(['access', 'partition'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) return undefined;
    found = { access: row.access, partition: row.partition as Partition | null };
    cache.set(generation, accountId, found);
  }
  return found.access === 'aws' ? found : undefined;
}

/** AWS's rule for RoleSessionName and SourceIdentity. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface FederatedRole {
  permissionSetId: string;
  roleName: string;
  sessionSeconds: number;
}

/** What one federated issuance names, for the assertion, the STS call and the messages. */
interface Target {
  partition: Partition;
  region: string;
  roleArn: string;
  providerArn: string;
  audience: string;
  endpoint: string;
  /** This server's entity id: the assertion's issuer, which the provider's metadata must name. */
  issuer: string;
  settings: FederationSettings;
}

function targetOf(
  federation: Federation,
  settings: FederationSettings,
  account: AccountAccess,
  accountId: string,
  permissionSetName: string,
): Target {
  const partition = account.partition ?? settings.partition;
  const region = regionFor(settings, partition);
  return {
    partition,
    region,
    roleArn: roleArnOf(
      partition,
      accountId,
      settings.rolePath,
      roleNameFor(settings.roleNamePattern, permissionSetName),
    ),
    providerArn: samlProviderArn(partition, accountId, settings.providerName),
    audience: federation.signinEndpoint || signinEndpoint(partition),
    endpoint: federation.stsEndpoint || stsEndpoint(partition, region),
    issuer: federation.idp.entityId,
    settings,
  };
}

/** The signed SAML Response for a user and role, base64 as STS takes it. */
export async function signedAssertion(
  federation: Federation,
  input: {
    userId: string;
    userName: string;
    now: number;
    ids: { response: string; assertion: string; session: string };
  },
  target: Pick<Target, 'roleArn' | 'providerArn' | 'audience' | 'issuer'>,
  sessionSeconds: number,
): Promise<string> {
  let keys: Awaited<ReturnType<SamlIdentityProvider['keys']>>;
  try {
    keys = await federation.idp.keys();
  } catch (err) {
    throw new DomainError(
      'unavailable',
      "The server's SAML signing key cannot be loaded, so no credentials can be issued for AWS accounts; the server log says why.",
      { cause: err },
    );
  }
  const unsigned = buildSamlResponse({
    issuer: target.issuer,
    audience: target.audience,
    nameId: input.userId,
    roleArn: target.roleArn,
    providerArn: target.providerArn,
    sessionName: input.userName,
    sessionSeconds,
    sourceIdentity: input.userName,
    now: input.now,
    ids: input.ids,
  });
  return Buffer.from(signSamlResponse(unsigned, keys.signing)).toString('base64');
}

/** The portal error for an STS failure: what went wrong and what to change. */
export function explainStsFailure(
  err: StsCallError,
  target: Target,
  accountId: string,
  role: FederatedRole,
  timeoutSeconds: number,
): DomainError {
  const cause = { cause: err };
  const said = `(STS: ${err.code}${err.message ? `: ${err.message}` : ''}${err.requestId ? `; request id ${err.requestId}` : ''})`;
  if (err.failure === 'timeout') {
    return new DomainError(
      'unavailable',
      `AWS STS at ${err.endpoint} did not answer within ${timeoutSeconds} s; no credentials were issued. Try again; if it persists, check the server's network path to STS (IDCENTER_AWS_STS_ENDPOINT, proxies, firewalls).`,
      cause,
    );
  }
  if (err.failure === 'unreachable') {
    return new DomainError(
      'unavailable',
      `AWS STS at ${err.endpoint} cannot be reached (${err.code}); no credentials were issued. Check the server's network path to STS (IDCENTER_AWS_STS_ENDPOINT, proxies, firewalls).`,
      cause,
    );
  }
  const message = err.message;
  const code = err.code;
  if (code === 'ValidationError' && /DurationSeconds|MaxSessionDuration|session duration/i.test(message)) {
    return new DomainError(
      'invalid_request',
      `The session duration of permission set ${role.roleName} (${role.sessionSeconds} s) is longer than role ${target.roleArn} allows. Lower the permission set's sessionDuration in the organization file, or raise the role's maximum session duration (aws iam update-role --role-name ${roleNameFor(target.settings.roleNamePattern, role.roleName)} --max-session-duration ${role.sessionSeconds}). ${said}`,
      cause,
    );
  }
  if (/provider/i.test(message) && /not (?:be )?found|does not exist|no .*provider|invalid/i.test(message)) {
    return new DomainError(
      'access_denied',
      `AWS has no SAML provider ${target.providerArn} that trusts this server. Create it in account ${accountId} from this server's metadata (idcenter aws metadata > idcenter.xml; aws iam create-saml-provider --name ${target.settings.providerName} --saml-metadata-document file://idcenter.xml). ${said}`,
      cause,
    );
  }
  if (
    code === 'ExpiredTokenException' ||
    /expired|not yet valid|NotBefore|NotOnOrAfter|clock/i.test(message)
  ) {
    return new DomainError(
      'access_denied',
      `AWS refused the SAML assertion as expired or not yet valid: the server's clock is probably off. Synchronise it (NTP) and try again. ${said}`,
      cause,
    );
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new DomainError(
      'access_denied',
      `AWS refused to let this server's SAML provider assume role ${target.roleArn}: the role does not exist, or its trust policy does not allow sts:AssumeRoleWithSAML for ${target.providerArn} (with SAML:aud ${target.audience}). Create the role with that trust policy in account ${accountId} (provisioning by idcenter apply is not done yet; README, "Real AWS accounts"). ${said}`,
      cause,
    );
  }
  if (
    code === 'InvalidIdentityToken' ||
    code === 'IDPRejectedClaim' ||
    code === 'InvalidIdentityTokenException'
  ) {
    return new DomainError(
      'access_denied',
      `AWS refused the SAML assertion for ${target.providerArn}: check that the provider was created from this server's current metadata (entity id ${target.issuer} and its signing certificate; idcenter aws metadata), and that the server's clock is right. ${said}`,
      cause,
    );
  }
  if (code === 'RegionDisabledException') {
    return new DomainError(
      'access_denied',
      `STS is not activated in region ${target.region} for account ${accountId}: activate it (IAM, Account settings) or set federation.region in the organization file. ${said}`,
      cause,
    );
  }
  if (code === 'Throttling' || code === 'ThrottlingException' || err.status === 429) {
    return new DomainError('throttled', `AWS STS is throttling requests; try again shortly. ${said}`, cause);
  }
  return new DomainError(
    'unavailable',
    `AWS STS refused to issue credentials for role ${target.roleArn}. ${said}`,
    cause,
  );
}

/**
 * Get real credentials for a federated account (after the access check).
 *
 * @example
 * const account = await federatedAccount(ctx.store, generation, input.accountId);
 * if (account) return vendFederatedCredentials(deps, input, role, account);
 */
export async function vendFederatedCredentials(
  deps: ServerDeps,
  input: VendInput,
  role: FederatedRole,
  account: AccountAccess,
): Promise<VendedCredentials> {
  const { ctx, federation } = deps;
  if (!SESSION_NAME.test(input.userName)) {
    throw new DomainError(
      'invalid_request',
      `The user name "${input.userName}" cannot be an AWS role session name, which AWS requires to be 2 to 64 letters, digits and _+=,.@- only; an administrator can rename the user to use AWS account ${input.accountId}.`,
    );
  }
  const settings = await loadFederationSettings(ctx.store.db);
  const target = targetOf(federation, settings, account, input.accountId, role.roleName);
  const now = ctx.clock.now();
  const id = () => `_${ctx.random.bytes(16).toString('hex')}`;
  const assertion = await signedAssertion(
    federation,
    {
      userId: input.userId,
      userName: input.userName,
      now,
      ids: { response: id(), assertion: id(), session: id() },
    },
    target,
    role.sessionSeconds,
  );
  const service = getCredentialService(deps);
  const audited = {
    userName: input.userName,
    accountId: input.accountId,
    permissionSetId: role.permissionSetId,
    roleName: role.roleName,
    access: 'aws',
    roleArn: target.roleArn,
    channel: input.channel,
    sessionId: input.sessionId,
    familyId: input.familyId,
  };
  let credentials: StsCredentials;
  try {
    credentials = await federation.sts.assumeRoleWithSaml({
      endpoint: target.endpoint,
      region: target.region,
      roleArn: target.roleArn,
      providerArn: target.providerArn,
      assertion,
      durationSeconds: role.sessionSeconds,
    });
  } catch (err) {
    if (!(err instanceof StsCallError)) throw err;
    await service.audit.write({
      at: ctx.clock.now(),
      actor: `user:${input.userId}`,
      action: 'credentials.issue_failure',
      targetType: 'ROLE',
      targetId: `${input.accountId}/${role.roleName}`,
      detail: {
        ...audited,
        stsEndpoint: err.endpoint,
        failure: err.failure,
        stsError: err.code,
        stsRequestId: err.requestId ?? null,
      },
      sourceIp: input.sourceIp,
    });
    throw explainStsFailure(err, target, input.accountId, role, federation.timeoutSeconds);
  }
  await service.audit.write({
    at: ctx.clock.now(),
    actor: `user:${input.userId}`,
    action: 'credentials.issue',
    targetType: 'ROLE',
    targetId: `${input.accountId}/${role.roleName}`,
    detail: {
      ...audited,
      accessKeyId: credentials.accessKeyId,
      expiration: new Date(credentials.expiration).toISOString(),
      stsRequestId: credentials.requestId ?? null,
    },
    sourceIp: input.sourceIp,
  });
  return {
    access: 'aws',
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
    expiration: credentials.expiration,
  };
}
