/**
 * Role credentials for a federated (`aws`) account: real AWS credentials, through IAM
 * federation, in place of the server's own sealed ones. `vendRoleCredentials` has already
 * checked the user's access; this proves the user to STS and returns what STS answers:
 *
 * - SAML (the default): the SAML Response AWS documents (issuer = this server's entity id,
 *   audience = the partition's sign-in endpoint, the role of the permission set and the
 *   account's SAML provider, the user name as session name and source identity, the permission
 *   set's session duration and session tags), signed, to STS `AssumeRoleWithSAML`;
 * - OIDC (`federation: oidc`): an RS256 ID token of this server's issuer (`web-identity.ts`)
 *   with the same user, to STS `AssumeRoleWithWebIdentity`.
 *
 * The call is audited with STS's request id. Nothing of the credentials is kept. STS's refusals
 * become portal errors that say what to fix: the role missing or not trusting the provider, the
 * provider missing, a session longer than the role allows, a refused assertion or token
 * (clocks), STS unreachable or slow.
 */
import { DomainError } from '../../domain/errors.ts';
import {
  oidcProviderArn,
  type Partition,
  roleArn as roleArnOf,
  samlProviderArn,
  signinEndpoint,
  stsEndpoint,
} from '../../domain/federation/partitions.ts';
import { buildSamlResponse } from '../../domain/federation/saml-response.ts';
import { parseStringMap, sessionTagsFor, type UserAttributes } from '../../domain/federation/session-tags.ts';
import {
  type FederationProtocol,
  type FederationSettings,
  regionFor,
  roleNameFor,
} from '../../domain/federation/settings.ts';
import { checkIssuer, JWKS_PATH, webIdentityClaims } from '../../domain/federation/web-identity.ts';
import { preparedRead } from '../../storage/prepared.ts';
import { roleEvent } from '../audit.ts';
import type { AppContext } from '../context.ts';
import type { VendedCredentials, VendInput } from '../credentials/vend-input.ts';
import type { ServerDeps } from '../server-deps.ts';
import { type AccountAccess, accountAccess } from './account-access.ts';
import type { Federation } from './federation.ts';
import type { SamlIdentityProvider } from './identity-provider.ts';
import { signSamlResponse } from './saml-signer.ts';
import { readFederationSettings } from './stored-settings.ts';
import { StsCallError, type StsCredentials } from './sts.ts';

/**
 * The account's access mode and partition when it is federated (`aws`), else undefined. Read
 * once per account and store generation: a changed mode raises the generation.
 */
export async function federatedAccount(
  ctx: AppContext,
  generation: number,
  accountId: string,
): Promise<AccountAccess | undefined> {
  const found = await accountAccess(ctx, generation, accountId);
  return found?.access === 'aws' ? found : undefined;
}

/** AWS's rule for RoleSessionName and SourceIdentity. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface FederatedRole {
  permissionSetId: string;
  roleName: string;
  sessionSeconds: number;
}

/** What one federated issuance names, for the assertion or token, the STS call and the messages. */
export interface Target {
  protocol: FederationProtocol;
  partition: Partition;
  region: string;
  roleArn: string;
  /** The account's IAM identity provider: the SAML provider, or the OIDC provider of the issuer. */
  providerArn: string;
  /** The sign-in endpoint: audience and recipient of SAML assertions, where the console POST goes. */
  audience: string;
  endpoint: string;
  /** This server's SAML entity id, or its OIDC issuer URL. */
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
  const oidc = account.federation === 'oidc';
  return {
    protocol: account.federation,
    partition,
    region,
    roleArn: roleArnOf(
      partition,
      accountId,
      settings.rolePath,
      roleNameFor(settings.roleNamePattern, permissionSetName),
    ),
    providerArn: oidc
      ? oidcProviderArn(partition, accountId, federation.webIdentity.issuer)
      : samlProviderArn(partition, accountId, settings.providerName),
    audience: federation.signinEndpoint || signinEndpoint(partition),
    endpoint: federation.stsEndpoint || stsEndpoint(partition, region),
    issuer: oidc ? federation.webIdentity.issuer : federation.idp.entityId,
    settings,
  };
}

const userAttributesRow = preparedRead(['id'] as const, (db, p) =>
  db
    .selectFrom('users')
    .select(['user_name', 'email', 'display_name', 'given_name', 'family_name', 'custom_attributes'])
    .where('id', '=', p.id),
);

/** The user fields and free attributes session tags may name. */
async function userAttributes(ctx: AppContext, userId: string): Promise<UserAttributes> {
  const [row] = await userAttributesRow(ctx.store, { id: userId });
  if (!row) throw new DomainError('forbidden', 'No access');
  return {
    userName: row.user_name,
    email: row.email,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    attributes: parseStringMap(row.custom_attributes),
  };
}

const permissionSetExtrasRow = preparedRead(['id'] as const, (db, p) =>
  db.selectFrom('permission_sets').select(['session_tags', 'relay_state']).where('id', '=', p.id),
);

/** What a permission set adds to a federated session: its session tag mapping and relay state. */
export async function permissionSetExtras(
  ctx: AppContext,
  permissionSetId: string,
): Promise<{ sessionTags: Record<string, string>; relayState: string | null }> {
  const [row] = await permissionSetExtrasRow(ctx.store, { id: permissionSetId });
  return { sessionTags: parseStringMap(row?.session_tags), relayState: row?.relay_state ?? null };
}

/** Who a federated session is for, as the assertion or token names them. */
export interface FederatedSession {
  target: Target;
  /** Session tags from the user's attributes (empty when the permission set asks for none). */
  tags: Record<string, string>;
  /** The permission set's relay state, where a console sign-in lands by default. */
  relayState: string | null;
}

/**
 * Everything a federated session needs before anything is signed: the user name checked as AWS
 * checks session names, the instance's federation settings, the role and provider ARNs, and the
 * session tags of the permission set from the user's attributes (a missing attribute is refused
 * by name). Each is one prepared read on the store's read connection (`Store.readRows`): on
 * SQLite it never waits for the main connection, which an audit commit holds meanwhile.
 */
export async function federatedSession(
  deps: ServerDeps,
  who: { userId: string; userName: string },
  accountId: string,
  role: FederatedRole,
  account: AccountAccess,
): Promise<FederatedSession> {
  const { ctx, federation } = deps;
  if (!SESSION_NAME.test(who.userName)) {
    throw new DomainError(
      'invalid_request',
      `The user name "${who.userName}" cannot be an AWS role session name, which AWS requires to be 2 to 64 letters, digits and _+=,.@- only; an administrator can rename the user to use AWS account ${accountId}.`,
    );
  }
  const settings = await readFederationSettings(ctx.store);
  const target = targetOf(federation, settings, account, accountId, role.roleName);
  const extras = await permissionSetExtras(ctx, role.permissionSetId);
  let tags: Record<string, string> = {};
  if (Object.keys(extras.sessionTags).length > 0) {
    const found = sessionTagsFor(extras.sessionTags, await userAttributes(ctx, who.userId), role.roleName);
    if ('problem' in found) throw new DomainError('invalid_request', found.problem);
    tags = found.tags;
  }
  return { target, tags, relayState: extras.relayState };
}

/** The signed SAML Response for a user and role, base64 as STS and the sign-in endpoint take it. */
export async function signedAssertion(
  federation: Federation,
  input: {
    userId: string;
    userName: string;
    now: number;
    ids: { response: string; assertion: string; session: string };
    principalTags?: Readonly<Record<string, string>>;
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
    ...(input.principalTags && Object.keys(input.principalTags).length > 0
      ? { principalTags: input.principalTags }
      : {}),
    now: input.now,
    ids: input.ids,
  });
  return Buffer.from(signSamlResponse(unsigned, keys.signing)).toString('base64');
}

/** A signed web identity token (compact JWS) for a user, for `AssumeRoleWithWebIdentity`. */
export async function webIdentityToken(
  federation: Federation,
  input: {
    userId: string;
    userName: string;
    now: number;
    jti: string;
    principalTags?: Readonly<Record<string, string>>;
  },
  target: Pick<Target, 'issuer' | 'settings'>,
): Promise<string> {
  const notUsable = checkIssuer(target.issuer);
  if (notUsable) throw new DomainError('unavailable', notUsable);
  const claims = webIdentityClaims({
    issuer: target.issuer,
    audience: target.settings.oidcAudience,
    subject: input.userId,
    userName: input.userName,
    now: input.now,
    jti: input.jti,
    sourceIdentity: input.userName,
    ...(input.principalTags ? { principalTags: input.principalTags } : {}),
  });
  try {
    return await federation.webIdentity.sign(claims);
  } catch (err) {
    throw new DomainError(
      'unavailable',
      "The server's web identity signing key cannot be loaded, so no credentials can be issued for AWS accounts that use OIDC; the server log says why.",
      { cause: err },
    );
  }
}

/** How to create this server's identity provider in an account, per protocol, for messages. */
function providerHelp(target: Target, accountId: string): string {
  if (target.protocol === 'oidc') {
    return `Run idcenter apply, which creates it in account ${accountId} (or: aws iam create-open-id-connect-provider --url ${target.issuer} --client-id-list ${target.settings.oidcAudience}); AWS reads ${target.issuer}${JWKS_PATH} over https.`;
  }
  return `Run idcenter apply, which creates it in account ${accountId} from this server's metadata (or: idcenter aws metadata > idcenter.xml; aws iam create-saml-provider --name ${target.settings.providerName} --saml-metadata-document file://idcenter.xml).`;
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
  const oidc = target.protocol === 'oidc';
  const what = oidc ? 'web identity token' : 'SAML assertion';
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
  if (code === 'IDPCommunicationError' || code === 'IDPCommunicationErrorException') {
    return new DomainError(
      'access_denied',
      `AWS could not read this server's OIDC keys at ${target.issuer}${JWKS_PATH}: the server must be reachable from the internet over https with a certificate AWS trusts. ${said}`,
      cause,
    );
  }
  if (/provider/i.test(message) && /not (?:be )?found|does not exist|no .*provider|invalid/i.test(message)) {
    return new DomainError(
      'access_denied',
      `AWS has no ${oidc ? 'OIDC' : 'SAML'} provider ${target.providerArn} that trusts this server. ${providerHelp(target, accountId)} ${said}`,
      cause,
    );
  }
  if (
    code === 'ExpiredTokenException' ||
    /expired|not yet valid|NotBefore|NotOnOrAfter|clock/i.test(message)
  ) {
    return new DomainError(
      'access_denied',
      `AWS refused the ${what} as expired or not yet valid: the server's clock is probably off. Synchronise it (NTP) and try again. ${said}`,
      cause,
    );
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    const action = oidc ? 'sts:AssumeRoleWithWebIdentity' : 'sts:AssumeRoleWithSAML';
    const condition = oidc
      ? `${target.issuer.replace(/^https?:\/\//, '')}:aud ${target.settings.oidcAudience}`
      : `SAML:aud ${target.audience}`;
    return new DomainError(
      'access_denied',
      `AWS refused to let this server's ${oidc ? 'OIDC' : 'SAML'} provider assume role ${target.roleArn}: the role does not exist, or its trust policy does not allow ${action} for ${target.providerArn} (with ${condition}). Run idcenter apply, which provisions the roles of the permission sets assigned in account ${accountId} (or deploy idcenter aws template; README, "Real AWS accounts"). ${said}`,
      cause,
    );
  }
  if (
    code === 'InvalidIdentityToken' ||
    code === 'IDPRejectedClaim' ||
    code === 'InvalidIdentityTokenException' ||
    code === 'IDPRejectedClaimException'
  ) {
    const check = oidc
      ? `check that the IAM OIDC provider was created for ${target.issuer} with client id ${target.settings.oidcAudience}, that it can read this server's keys (${target.issuer}${JWKS_PATH}), and that the server's clock is right`
      : `check that the provider was created from this server's current metadata (entity id ${target.issuer} and its signing certificate; idcenter aws metadata), and that the server's clock is right`;
    return new DomainError(
      'access_denied',
      `AWS refused the ${what} for ${target.providerArn}: ${check}. ${said}`,
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
 * const account = await federatedAccount(ctx, generation, input.accountId);
 * if (account) return vendFederatedCredentials(deps, input, role, account);
 */
export async function vendFederatedCredentials(
  deps: ServerDeps,
  input: VendInput,
  role: FederatedRole,
  account: AccountAccess,
): Promise<VendedCredentials> {
  const { ctx, federation } = deps;
  const { target, tags } = await federatedSession(deps, input, input.accountId, role, account);
  const now = ctx.clock.now();
  // The three ids of a SAML Response (its own, its Assertion's, the session's) from one draw.
  const random = ctx.random.bytes(48).toString('hex');
  const ids = {
    response: `_${random.slice(0, 32)}`,
    assertion: `_${random.slice(32, 64)}`,
    session: `_${random.slice(64)}`,
  };
  const oidc = target.protocol === 'oidc';
  const service = deps.credentials;
  const audited = {
    userName: input.userName,
    accountId: input.accountId,
    permissionSetId: role.permissionSetId,
    roleName: role.roleName,
    access: 'aws',
    ...(oidc ? { federation: 'oidc' } : {}),
    roleArn: target.roleArn,
    ...(Object.keys(tags).length > 0 ? { sessionTags: Object.keys(tags) } : {}),
    channel: input.channel,
    sessionId: input.sessionId,
    familyId: input.familyId,
  };
  let credentials: StsCredentials;
  try {
    if (oidc) {
      const token = await webIdentityToken(
        federation,
        {
          userId: input.userId,
          userName: input.userName,
          now,
          jti: ids.session.slice(1),
          principalTags: tags,
        },
        target,
      );
      credentials = await federation.sts.assumeRoleWithWebIdentity({
        endpoint: target.endpoint,
        region: target.region,
        roleArn: target.roleArn,
        sessionName: input.userName,
        token,
        durationSeconds: role.sessionSeconds,
      });
    } else {
      const assertion = await signedAssertion(
        federation,
        {
          userId: input.userId,
          userName: input.userName,
          now,
          ids,
          principalTags: tags,
        },
        target,
        role.sessionSeconds,
      );
      credentials = await federation.sts.assumeRoleWithSaml({
        endpoint: target.endpoint,
        region: target.region,
        roleArn: target.roleArn,
        providerArn: target.providerArn,
        assertion,
        durationSeconds: role.sessionSeconds,
      });
    }
  } catch (err) {
    if (!(err instanceof StsCallError)) throw err;
    await service.audit.write(
      roleEvent(ctx.clock.now(), 'credentials.issue_failure', input, role.roleName, {
        ...audited,
        stsEndpoint: err.endpoint,
        failure: err.failure,
        stsError: err.code,
        stsRequestId: err.requestId ?? null,
      }),
    );
    throw explainStsFailure(err, target, input.accountId, role, federation.timeoutSeconds);
  }
  await service.audit.write(
    roleEvent(ctx.clock.now(), 'credentials.issue', input, role.roleName, {
      ...audited,
      accessKeyId: credentials.accessKeyId,
      expiration: new Date(credentials.expiration).toISOString(),
      stsRequestId: credentials.requestId ?? null,
    }),
  );
  return {
    access: 'aws',
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
    expiration: credentials.expiration,
  };
}
