/**
 * The request context a policy is evaluated against: condition keys and their values, as IAM
 * gathers them for a request ("IAM JSON policy elements: Condition", "AWS global condition
 * context keys"). Key names are case-insensitive, so they are stored in lower case; values keep
 * their case (the operator decides whether case matters).
 *
 * A key holds one string, or a list of strings for a multivalued key (`aws:TagKeys`). An empty
 * list is stored as an absent key: IAM treats an empty set like a missing key
 * ("ForAllValues" is true and "ForAnyValue" false for both).
 */

export type ContextValue = string | readonly string[];

export interface RequestContext {
  /** The value of a key (any case), or undefined when the request does not carry it. */
  get(key: string): ContextValue | undefined;
  /** The keys present, in lower case (for diagnostics). */
  keys(): string[];
}

/** Values callers may give for a key; booleans and numbers become the strings IAM compares. */
export type ContextInput = string | boolean | number | readonly string[] | undefined;

/**
 * A context from a plain map of condition keys. Later keys that differ only in case replace
 * earlier ones.
 *
 * @example contextFromKeys({ 'aws:RequestedRegion': 'eu-west-1', 'aws:SecureTransport': true })
 */
export function contextFromKeys(values: Readonly<Record<string, ContextInput>>): RequestContext {
  const map = new Map<string, ContextValue>();
  for (const [key, value] of Object.entries(values)) {
    const normal = normalizeValue(value);
    if (normal === undefined) map.delete(key.toLowerCase());
    else map.set(key.toLowerCase(), normal);
  }
  return {
    get: (key) => map.get(key.toLowerCase()),
    keys: () => [...map.keys()],
  };
}

function normalizeValue(value: ContextInput): ContextValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  return value.length === 0 ? undefined : Object.freeze([...value]);
}

/** What the admin plane knows about a caller and a request, in its own words. */
export interface CallerContext {
  /** `aws:PrincipalArn`: for a role session, the ARN of the role (not of the session). */
  principalArn?: string | undefined;
  /** `aws:userid`: for a role session `<role id>:<session name>`, e.g. `AROAEXAMPLE:alice`. */
  userId?: string | undefined;
  /** `aws:username`: IAM sets it for IAM users only; leave it out for role sessions. */
  username?: string | undefined;
  /** `aws:PrincipalTag/<key>` for each tag of the principal. */
  principalTags?: Readonly<Record<string, string>> | undefined;
  /** `aws:RequestedRegion`: the region the request was signed for. */
  requestedRegion?: string | undefined;
  /** `aws:SourceIp`: the client address (IPv4 or IPv6). */
  sourceIp?: string | undefined;
  /** `aws:SecureTransport`: whether the request came over TLS. */
  secureTransport?: boolean | undefined;
  /** `aws:CurrentTime` (ISO 8601) and `aws:EpochTime` (seconds) both come from this instant. */
  currentTime?: Date | undefined;
  /** `aws:MultiFactorAuthPresent`: whether the session was made with MFA. */
  multiFactorAuthPresent?: boolean | undefined;
  /** `aws:ResourceTag/<key>` for the tags of the resource the operation acts on. */
  resourceTags?: Readonly<Record<string, string>> | undefined;
  /** `aws:RequestTag/<key>` for the tags the request sets; also gives `aws:TagKeys`. */
  requestTags?: Readonly<Record<string, string>> | undefined;
  /** `aws:TagKeys` when the request names tag keys without values (UntagResource). */
  tagKeys?: readonly string[] | undefined;
  /** Any other key, e.g. `sso:PrimaryRegion` or `aws:ViaAWSService`. */
  otherKeys?: Readonly<Record<string, ContextInput>> | undefined;
}

/**
 * The request context for a caller, with the global keys named as IAM names them.
 *
 * @example buildRequestContext({ principalArn: 'arn:aws:iam::111122223333:role/Admin', requestedRegion: 'us-east-1' })
 */
export function buildRequestContext(caller: CallerContext): RequestContext {
  const keys: Record<string, ContextInput> = {
    'aws:PrincipalArn': caller.principalArn,
    'aws:userid': caller.userId,
    'aws:username': caller.username,
    'aws:RequestedRegion': caller.requestedRegion,
    'aws:SourceIp': caller.sourceIp,
    'aws:SecureTransport': caller.secureTransport,
    'aws:MultiFactorAuthPresent': caller.multiFactorAuthPresent,
  };
  if (caller.currentTime !== undefined) {
    keys['aws:CurrentTime'] = caller.currentTime.toISOString();
    keys['aws:EpochTime'] = String(Math.floor(caller.currentTime.getTime() / 1000));
  }
  for (const [k, v] of Object.entries(caller.principalTags ?? {})) keys[`aws:PrincipalTag/${k}`] = v;
  for (const [k, v] of Object.entries(caller.resourceTags ?? {})) keys[`aws:ResourceTag/${k}`] = v;
  for (const [k, v] of Object.entries(caller.requestTags ?? {})) keys[`aws:RequestTag/${k}`] = v;
  const tagKeys = caller.tagKeys ?? (caller.requestTags ? Object.keys(caller.requestTags) : undefined);
  keys['aws:TagKeys'] = tagKeys;
  return contextFromKeys({ ...keys, ...caller.otherKeys });
}

/**
 * Whether a condition key (in lower case) is read from the tags a request sends:
 * `aws:RequestTag/<key>` and `aws:TagKeys`. A form that tags is offered before its tags are
 * known, so these are its unknown keys (`EvaluationOptions.unknownKeys`).
 *
 * @example isRequestTagKey('aws:requesttag/team') // true
 */
export function isRequestTagKey(key: string): boolean {
  return key.startsWith('aws:requesttag/') || key === 'aws:tagkeys';
}
