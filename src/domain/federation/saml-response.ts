/**
 * The SAML 2.0 Response that IAM's `AssumeRoleWithSAML` and the console sign-in endpoint accept,
 * built as text from typed parts, its Assertion ready to sign (`app/federation/saml-signer.ts`).
 *
 * What AWS checks, and so what this writes (IAM user guide, "Configuring SAML assertions for the
 * authentication response"):
 * - an Issuer equal to the IAM SAML provider's entity id, in the Response and the Assertion;
 * - a NameID (persistent: the user's id here, which never changes when a user is renamed);
 * - a bearer SubjectConfirmation whose Recipient is the partition's sign-in endpoint, with a
 *   NotOnOrAfter;
 * - Conditions with NotBefore/NotOnOrAfter and an AudienceRestriction naming the sign-in endpoint;
 * - an AuthnStatement;
 * - the attributes `Role` (`roleArn,providerArn`), `RoleSessionName` (2–64 of `[\w+=,.@-]`),
 *   `SessionDuration` (900–43200 seconds), and optionally `SourceIdentity` and
 *   `PrincipalTag:<Key>` (with their transitive keys).
 *
 * Every value is checked here against AWS's own limits, so a mistake is reported by name before a
 * request leaves the server instead of coming back from STS as a bare "InvalidIdentityToken".
 */
import { DomainError } from '../errors.ts';
import { SAML_NAMES, xmlAttribute, xmlText } from './saml-names.ts';

export const SAML_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/';

/** The shortest and longest session AWS accepts in the `SessionDuration` attribute. */
export const MIN_SESSION_SECONDS = 900;
export const MAX_SESSION_SECONDS = 43_200;
/** How long an assertion may be presented: long enough for a slow browser POST, no longer. */
export const ASSERTION_LIFETIME_SECONDS = 300;
/** NotBefore is set this far back, so a server clock slightly ahead of AWS's is not refused. */
const CLOCK_ALLOWANCE_SECONDS = 60;
/** AWS's limit on principal tags per session. */
export const MAX_PRINCIPAL_TAGS = 50;

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** An XML ID: an NCName. The builder's callers pass `_` followed by hex. */
const XML_ID = /^[A-Za-z_][\w.-]*$/;

export interface SamlResponseInput {
  /** The entity id of this identity provider (the IAM SAML provider's metadata names it). */
  issuer: string;
  /** The partition's sign-in endpoint: audience, recipient and destination. */
  audience: string;
  /** A stable identifier of the user (the user id). */
  nameId: string;
  roleArn: string;
  providerArn: string;
  /** The session name, shown in CloudTrail and in the assumed-role ARN: the user name. */
  sessionName: string;
  sessionSeconds: number;
  /** Who did it, carried through role chaining (`sts:SourceIdentity`); optional. */
  sourceIdentity?: string;
  /** Session tags, `PrincipalTag:<key>`, and which of them pass to chained roles. */
  principalTags?: Readonly<Record<string, string>>;
  transitiveTagKeys?: readonly string[];
  /** Milliseconds since the epoch. */
  now: number;
  /** Fresh XML ids for the Response, the Assertion and the session index. */
  ids: { response: string; assertion: string; session: string };
}

function invalid(message: string): never {
  throw new DomainError('invalid_request', message);
}

/** ISO 8601 in UTC with seconds, as SAML's xs:dateTime values are usually written. */
function instant(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** The checks AWS applies, each with a sentence that says which value is wrong and why. */
export function checkSamlInput(input: SamlResponseInput): void {
  if (!SESSION_NAME.test(input.sessionName)) {
    invalid(
      `The role session name "${input.sessionName}" cannot be used: AWS accepts 2 to 64 letters, digits and the characters _+=,.@- only.`,
    );
  }
  const seconds = input.sessionSeconds;
  if (!Number.isInteger(seconds) || seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
    invalid(
      `The session duration ${seconds} s is outside what AWS accepts (${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS} seconds).`,
    );
  }
  if (input.sourceIdentity !== undefined && !SESSION_NAME.test(input.sourceIdentity)) {
    invalid(
      `The source identity "${input.sourceIdentity}" cannot be used: AWS accepts 2 to 64 letters, digits and the characters _+=,.@- only.`,
    );
  }
  const tags = Object.entries(input.principalTags ?? {});
  if (tags.length > MAX_PRINCIPAL_TAGS) {
    invalid(`${tags.length} session tags are more than the ${MAX_PRINCIPAL_TAGS} AWS accepts.`);
  }
  for (const [key, value] of tags) {
    if (!TAG_KEY.test(key)) invalid(`The session tag key "${key}" is not a valid AWS tag key.`);
    if (!TAG_VALUE.test(value)) {
      invalid(`The value of session tag "${key}" is not a valid AWS tag value (at most 256 characters).`);
    }
  }
  for (const key of input.transitiveTagKeys ?? []) {
    if (!input.principalTags || !Object.hasOwn(input.principalTags, key)) {
      invalid(`The transitive tag key "${key}" is not one of the session's tags.`);
    }
  }
  for (const id of Object.values(input.ids)) {
    if (!XML_ID.test(id)) invalid(`"${id}" is not an XML id.`);
  }
}

function attribute(name: string, values: readonly string[]): string {
  const body = values.map((v) => `<saml:AttributeValue>${xmlText(v)}</saml:AttributeValue>`).join('');
  return `<saml:Attribute Name="${xmlAttribute(SAML_ATTRIBUTE + name)}">${body}</saml:Attribute>`;
}

/** What `app/federation/saml-signer.ts` signs and how the signed Assertion goes into a Response. */
export interface SamlResponseParts {
  /** The Assertion's ID: the signature's reference is `#<id>`. */
  assertionId: string;
  /**
   * The Assertion, without a signature, in exclusive canonical form: the exact bytes a verifier
   * digests after the enveloped-signature and exclusive c14n transforms. It is written that way
   * directly (namespace declaration first on the element, attributes in sorted order, no empty-
   * element tags, Canonical XML escaping, no whitespace between elements).
   */
  assertion: string;
  /** The Response around `signedAssertion`. */
  response(signedAssertion: string): string;
}

/**
 * The Response's parts, unsigned. The Assertion is what carries the signature (IAM requires a
 * signed Assertion); the Response around it is not signed.
 */
export function buildSamlResponse(input: SamlResponseInput): SamlResponseParts {
  checkSamlInput(input);
  const issued = instant(input.now);
  const notBefore = instant(input.now - CLOCK_ALLOWANCE_SECONDS * 1000);
  const notOnOrAfter = instant(input.now + ASSERTION_LIFETIME_SECONDS * 1000);
  const audienceAttribute = xmlAttribute(input.audience);
  const issuer = xmlText(input.issuer);

  const attributes = [
    attribute('Role', [`${input.roleArn},${input.providerArn}`]),
    attribute('RoleSessionName', [input.sessionName]),
    attribute('SessionDuration', [String(input.sessionSeconds)]),
  ];
  if (input.sourceIdentity !== undefined) {
    attributes.push(attribute('SourceIdentity', [input.sourceIdentity]));
  }
  for (const [key, value] of Object.entries(input.principalTags ?? {})) {
    attributes.push(attribute(`PrincipalTag:${key}`, [value]));
  }
  if (input.transitiveTagKeys && input.transitiveTagKeys.length > 0) {
    attributes.push(attribute('TransitiveTagKeys', input.transitiveTagKeys));
  }

  // Attributes in canonical order: by name, as Canonical XML sorts attributes without a namespace.
  const assertion =
    `<saml:Assertion xmlns:saml="${SAML_NAMES.assertion}" ID="${input.ids.assertion}" IssueInstant="${issued}" Version="2.0">` +
    `<saml:Issuer>${issuer}</saml:Issuer>` +
    '<saml:Subject>' +
    `<saml:NameID Format="${SAML_NAMES.nameIdPersistent}">${xmlText(input.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${SAML_NAMES.bearer}">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${audienceAttribute}"></saml:SubjectConfirmationData>` +
    '</saml:SubjectConfirmation>' +
    '</saml:Subject>' +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${xmlText(input.audience)}</saml:Audience></saml:AudienceRestriction>` +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="${input.ids.session}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${SAML_NAMES.passwordProtected}</saml:AuthnContextClassRef></saml:AuthnContext>` +
    '</saml:AuthnStatement>' +
    `<saml:AttributeStatement>${attributes.join('')}</saml:AttributeStatement>` +
    '</saml:Assertion>';

  return {
    assertionId: input.ids.assertion,
    assertion,
    response: (signedAssertion) =>
      `<samlp:Response xmlns:samlp="${SAML_NAMES.protocol}" Destination="${audienceAttribute}" ID="${input.ids.response}" IssueInstant="${issued}" Version="2.0">` +
      `<saml:Issuer xmlns:saml="${SAML_NAMES.assertion}">${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${SAML_NAMES.statusSuccess}"></samlp:StatusCode></samlp:Status>` +
      signedAssertion +
      '</samlp:Response>',
  };
}
