/**
 * The shape of the organization file (README.md, "Organization file reference"), as zod schemas
 * that also run the identity rules on every value, so one pass finds every problem of every entry.
 * Cross-entry rules (duplicates, references) are in `resolve.ts`.
 */
import { z } from 'zod';
import { parseDuration } from '../../domain/duration.ts';
import { PARTITIONS } from '../../domain/federation/partitions.ts';
import {
  checkAttributeName,
  checkAttributeValue,
  checkSessionTagKey,
} from '../../domain/federation/session-tags.ts';
import {
  ACCESS_MODES,
  checkExternalId,
  checkProfileName,
  checkProviderName,
  checkProvisioningRoleName,
  checkRoleNamePattern,
  checkRolePath,
  checkThumbprint,
  FEDERATION_PROTOCOLS,
} from '../../domain/federation/settings.ts';
import { checkOidcAudience } from '../../domain/federation/web-identity.ts';
import {
  checkDisplayName,
  checkEmail,
  checkGroupDescription,
  checkGroupName,
  checkPassword,
  checkPersonName,
  checkUserName,
} from '../../domain/identity/directory.ts';
import {
  checkAttributeType,
  checkDn,
  checkEnvName,
  checkFilter,
  checkLdapUrl,
  IDENTITY_SOURCE_KINDS,
  parseDeletionGuard,
} from '../../domain/identity/identity-source.ts';
import {
  checkAccountEmail,
  checkAccountId,
  checkAccountName,
  checkOuPath,
} from '../../domain/identity/organization.ts';
import {
  checkCustomerPolicyName,
  checkCustomerPolicyPath,
  checkManagedPolicyArn,
  checkPermissionSetDescription,
  checkPermissionSetName,
  checkRelayState,
  checkSessionDuration,
  checkTagKey,
  checkTagValue,
} from '../../domain/identity/permission-set.ts';
import {
  checkPolicyDocument,
  checkPolicySize,
  checkPolicyValue,
} from '../../domain/identity/policy-document.ts';
import {
  checkAttributeText,
  checkExtensionName,
  checkExternalIdText,
  MAX_EXTENSIONS,
  MAX_EXTERNAL_IDS,
} from '../../domain/identity/user-attributes.ts';
import { LIST_ATTRIBUTES, NAME_PARTS, TEXT_ATTRIBUTES } from './user-profile.ts';

function describe(input: unknown): string {
  if (input === null) return 'empty';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return 'text';
  return `the ${typeof input} ${String(input)}`;
}

/** Text checked by an identity rule; numbers and booleans are refused with a hint to quote them. */
function text(what: string, rule?: (v: string) => string | undefined) {
  const base = z.string({
    error: (iss) =>
      iss.input === undefined
        ? `${what} is required`
        : typeof iss.input === 'number' || typeof iss.input === 'boolean'
          ? `${what} must be text, but YAML read ${describe(iss.input)}; put it in quotes`
          : `${what} must be text, not ${describe(iss.input)}`,
  });
  if (!rule) return base;
  return base.superRefine((v, ctx) => {
    const problem = rule(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Like `text`, but messages never quote the value (it is a password). */
function secret(what: string, rule: (v: string) => string | undefined) {
  return z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `${what} is required`
          : `${what} must be text in quotes, not ${typeof iss.input === 'object' ? describe(iss.input) : `a ${typeof iss.input}`}`,
    })
    .superRefine((v, ctx) => {
      const problem = rule(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

function list<T extends z.ZodType>(what: string, item: T) {
  return z.array(item, {
    error: (iss) =>
      iss.input === undefined ? `${what} is required` : `${what} must be a list, not ${describe(iss.input)}`,
  });
}

function mapping<T extends z.ZodRawShape>(what: string, shape: T) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? undefined : `${what} must be a mapping, not ${describe(iss.input)}`,
  });
}

const accountId = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'account id is required'
        : typeof iss.input === 'number'
          ? `account id ${String(iss.input)} was read as a number; write exactly 12 digits in quotes, such as "011111111111"`
          : `account id must be text, not ${describe(iss.input)}`,
  })
  .superRefine((v, ctx) => {
    const p = checkAccountId(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });

const ouPath = text('OU path', checkOuPath);

/** One of `values`, named in the message when it is something else. */
function oneOf(what: string, values: readonly string[]) {
  return text(what, (v) =>
    values.includes(v) ? undefined : `${what} must be one of ${values.join(', ')}, not "${v}"`,
  );
}

const partition = oneOf('partition', PARTITIONS);

const accountSchema = mapping('an account', {
  id: accountId,
  name: text('account name', checkAccountName),
  email: text('account e-mail', checkAccountEmail),
  ou: ouPath.nullish(),
  access: oneOf('access', ACCESS_MODES).nullish(),
  partition: partition.nullish(),
  federation: oneOf('federation', FEDERATION_PROTOCOLS).nullish(),
});

/** How `idcenter apply` reaches the IAM of `aws` accounts (`ProvisioningSettings`). */
const provisioningSchema = mapping('provisioning', {
  enabled: z
    .boolean({ error: (iss) => `enabled must be true or false, not ${describe(iss.input)}` })
    .nullish(),
  profile: text('profile', checkProfileName).nullish(),
  roleName: text('roleName', checkProvisioningRoleName).nullish(),
  externalId: secret('externalId', checkExternalId).nullish(),
  oidcThumbprints: list('oidcThumbprints', text('thumbprint', checkThumbprint))
    .max(5, 'oidcThumbprints: IAM keeps at most 5 thumbprints')
    .nullish(),
});

/** How `aws` accounts are reached (`domain/federation/settings.ts`); the region is checked in `resolve.ts`. */
const federationSchema = mapping('federation', {
  providerName: text('providerName', checkProviderName).nullish(),
  roleNamePattern: text('roleNamePattern', checkRoleNamePattern).nullish(),
  rolePath: text('rolePath', checkRolePath).nullish(),
  partition: partition.nullish(),
  region: text('region').nullish(),
  provisioning: provisioningSchema.nullish(),
  oidcAudience: text('oidcAudience', checkOidcAudience).nullish(),
});

const flag = (what: string) =>
  z.boolean({ error: (iss) => `${what} must be true or false, not ${describe(iss.input)}` }).nullish();

const durationText = (what: string) =>
  text(what, (v) => {
    const seconds = parseDuration(v);
    return seconds === undefined
      ? `${what} must be a duration such as 15m, 1h or 24h, not "${v}"`
      : undefined;
  });

const searchSchema = (what: string) =>
  mapping(what, {
    baseDn: text('baseDn', (v) => checkDn(v, 'baseDn')),
    filter: text('filter', (v) => checkFilter(v, 'filter')).nullish(),
  });

const attributeMapSchema = mapping('attributes', {
  userName: text('userName', checkAttributeType).nullish(),
  email: text('email', checkAttributeType).nullish(),
  displayName: text('displayName', checkAttributeType).nullish(),
  givenName: text('givenName', checkAttributeType).nullish(),
  familyName: text('familyName', checkAttributeType).nullish(),
  externalId: text('externalId', checkAttributeType).nullish(),
  disabled: text('disabled', checkAttributeType).nullish(),
});

/**
 * `identitySource:` (`domain/identity/identity-source.ts`): the built-in directory, or Active
 * Directory or LDAP with how to reach and read it. The bind password is named by the environment
 * variable that holds it, never written here. Rules between keys are in `resolve.ts`.
 */
const identitySourceSchema = mapping('identitySource', {
  type: oneOf('type', IDENTITY_SOURCE_KINDS),
  urls: list('urls', text('URL', checkLdapUrl)).nullish(),
  startTls: flag('startTls'),
  caFile: text('caFile').nullish(),
  allowPlainLdap: flag('allowPlainLdap'),
  bindDn: text('bindDn', (v) => checkDn(v, 'bindDn')).nullish(),
  bindPasswordEnv: text('bindPasswordEnv', checkEnvName).nullish(),
  bindPassword: z
    .unknown()
    .superRefine((v, ctx) => {
      if (v !== undefined)
        ctx.addIssue({
          code: 'custom',
          message:
            'the bind password never goes in the file; name the environment variable that holds it in bindPasswordEnv',
        });
    })
    .optional(),
  users: searchSchema('users').nullish(),
  groups: searchSchema('groups').nullish(),
  attributes: attributeMapSchema.nullish(),
  syncInterval: durationText('syncInterval').nullish(),
  fullSyncInterval: durationText('fullSyncInterval').nullish(),
  deletionGuard: z
    .union([z.string(), z.number()], {
      error: (iss) =>
        `deletionGuard must be a number of users or a percentage such as "10%", not ${describe(iss.input)}`,
    })
    .superRefine((v, ctx) => {
      if (parseDeletionGuard(v) === undefined)
        ctx.addIssue({
          code: 'custom',
          message: `deletionGuard must be a number of users or a percentage such as "10%", not "${String(v)}"`,
        });
    })
    .nullish(),
  timeout: durationText('timeout').nullish(),
});

/** The identitystore attributes' rules (`domain/identity/user-attributes.ts`), as the API checks them. */
const attributeText = (what: string) => text(what, (v) => checkAttributeText(v, what));

/** A list the identitystore keeps at least one and at most `max` entries of. */
function limitedList<T extends z.ZodType>(what: string, item: T, max: number, entries: string) {
  return list(what, item)
    .min(1, `${what} must have at least one entry (leave ${what} out for none)`)
    .max(
      max,
      max === 1
        ? `the identitystore keeps one ${entries} per user`
        : `${what} may have at most ${max} entries`,
    );
}

const externalIdSchema = mapping('an external id', {
  issuer: text('issuer', (v) => checkExternalIdText(v, 'issuer')),
  id: text('id', (v) => checkExternalIdText(v, 'id')),
});

const externalIdsSchema = list('externalIds', externalIdSchema)
  .min(1, 'externalIds must have at least one entry (leave externalIds out for none)')
  .max(MAX_EXTERNAL_IDS, `externalIds may have at most ${MAX_EXTERNAL_IDS} entries`);

/** `emails`, `addresses`, `phoneNumbers`, `photos`, `roles`: their entries' members (`user-profile.ts`). */
const listAttributeSchemas = Object.fromEntries(
  LIST_ATTRIBUTES.map((l) => {
    const members: Record<string, z.ZodType> = {};
    for (const [k] of l.members) {
      members[k] =
        k === 'primary'
          ? z
              .boolean({ error: (iss) => `primary must be true or false, not ${describe(iss.input)}` })
              .nullish()
          : l.required.includes(k)
            ? attributeText(k)
            : attributeText(k).nullish();
    }
    return [
      l.key,
      limitedList(l.key, mapping(l.entry, members), l.max, l.entry.replace(/^an? /, '')).nullish(),
    ];
  }),
);

const extensionsSchema = z
  .record(
    text('extension name', checkExtensionName),
    z.unknown().superRefine((v, ctx) => {
      if (v === undefined || v === null)
        ctx.addIssue({ code: 'custom', message: 'an extension needs a value (leave it out for none)' });
    }),
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? `extensions must be a mapping of extension name: value, not ${describe(iss.input)}`
          : undefined,
    },
  )
  .superRefine((v, ctx) => {
    const n = Object.keys(v).length;
    if (n === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'extensions must have at least one entry (leave extensions out for none)',
      });
    if (n > MAX_EXTENSIONS)
      ctx.addIssue({ code: 'custom', message: `extensions may have at most ${MAX_EXTENSIONS} entries` });
  });

const groupSchema = mapping('a group', {
  name: text('group name', checkGroupName),
  description: text('group description', checkGroupDescription).nullish(),
  externalIds: externalIdsSchema.nullish(),
});

const userSchema = mapping('a user', {
  userName: text('userName', checkUserName),
  displayName: text('displayName', checkDisplayName),
  givenName: text('givenName', (v) => checkPersonName(v, 'given name')).nullish(),
  familyName: text('familyName', (v) => checkPersonName(v, 'family name')).nullish(),
  email: text('email', checkEmail).nullish(),
  password: secret('password', checkPassword).nullish(),
  groups: list('groups', text('group name')).nullish(),
  disabled: z
    .boolean({ error: (iss) => `disabled must be true or false, not ${describe(iss.input)}` })
    .nullish(),
  attributes: z
    .record(text('attribute name', checkAttributeName), text('attribute value', checkAttributeValue), {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? `attributes must be a mapping of name: value, not ${describe(iss.input)}`
          : undefined,
    })
    .nullish(),
  ...Object.fromEntries(NAME_PARTS.map(([k]) => [k, attributeText(k).nullish()])),
  ...Object.fromEntries(TEXT_ATTRIBUTES.map(([k]) => [k, attributeText(k).nullish()])),
  ...listAttributeSchemas,
  extensions: extensionsSchema.nullish(),
  externalIds: externalIdsSchema.nullish(),
});

const customerPolicySchema = mapping('a customer managed policy reference', {
  name: text('policy name', checkCustomerPolicyName),
  path: text('policy path', checkCustomerPolicyPath).nullish(),
});

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The inline policy: a YAML mapping or a JSON string, checked as an IAM policy document. */
const inlinePolicySchema = z.unknown().superRefine((v, ctx) => {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    for (const p of checkPolicyDocument(v)) {
      ctx.addIssue({
        code: 'custom',
        message: p.at.length > 0 ? `${p.at.join('.')}: ${p.message}` : p.message,
      });
    }
    return;
  }
  if (isPlainObject(v)) {
    const problems = checkPolicySize(JSON.stringify(v));
    problems.push(...checkPolicyValue(v));
    for (const p of problems) ctx.addIssue({ code: 'custom', message: p.message, path: p.at });
    return;
  }
  ctx.addIssue({
    code: 'custom',
    message: `inlinePolicy must be a mapping or a JSON string, not ${describe(v)}`,
  });
});

const boundarySchema = z.unknown().superRefine((v, ctx) => {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    const p = checkManagedPolicyArn(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
    return;
  }
  const r = customerPolicySchema.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) {
      ctx.addIssue({
        code: 'custom',
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown key "${issue.keys[0]}" (expected name, path)`
            : issue.message,
        path: issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path,
      });
    }
  }
});

const tagsSchema = z.record(text('tag key', checkTagKey), text('tag value', checkTagValue), {
  error: (iss) =>
    iss.code === 'invalid_type'
      ? `tags must be a mapping of key: value, not ${describe(iss.input)}`
      : undefined,
});

/** Session tag key → the user attribute that gives its value (`domain/federation/session-tags.ts`). */
const sessionTagsSchema = z.record(
  text('session tag key', checkSessionTagKey),
  text('user attribute name', checkAttributeName),
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `sessionTags must be a mapping of tag key: user attribute, not ${describe(iss.input)}`
        : undefined,
  },
);

const permissionSetSchema = mapping('a permission set', {
  name: text('permission set name', checkPermissionSetName),
  description: text('description', checkPermissionSetDescription).nullish(),
  sessionDuration: text('sessionDuration', checkSessionDuration).nullish(),
  relayState: text('relayState', checkRelayState).nullish(),
  managedPolicies: list('managedPolicies', text('managed policy ARN', checkManagedPolicyArn)).nullish(),
  customerManagedPolicies: list('customerManagedPolicies', customerPolicySchema).nullish(),
  inlinePolicy: inlinePolicySchema.optional(),
  permissionsBoundary: boundarySchema.optional(),
  tags: tagsSchema.nullish(),
  sessionTags: sessionTagsSchema.nullish(),
});

/** Which permission sets' role credentials may call the admin APIs (identitystore, sso-admin, organizations). */
const administratorsSchema = mapping('administrators', {
  permissionSets: list('permissionSets', text('permission set name')),
});

const assignmentSchema = mapping('an assignment', {
  user: text('user').nullish(),
  group: text('group').nullish(),
  permissionSet: text('permissionSet'),
  accounts: list('accounts', accountId).nullish(),
  ous: list('ous', ouPath).nullish(),
}).superRefine((a, ctx) => {
  const principals = (a.user != null ? 1 : 0) + (a.group != null ? 1 : 0);
  if (principals !== 1) {
    ctx.addIssue({ code: 'custom', message: 'an assignment names exactly one of user or group' });
  }
  if ((a.accounts?.length ?? 0) + (a.ous?.length ?? 0) === 0) {
    ctx.addIssue({ code: 'custom', message: 'an assignment needs accounts or ous to apply to' });
  }
});

export const orgFileSchema = z.strictObject(
  {
    managementAccount: accountId.nullish(),
    federation: federationSchema.nullish(),
    identitySource: identitySourceSchema.nullish(),
    accounts: list('accounts', accountSchema).nullish(),
    organizationalUnits: list('organizationalUnits', ouPath).nullish(),
    groups: list('groups', groupSchema).nullish(),
    users: list('users', userSchema).nullish(),
    permissionSets: list('permissionSets', permissionSetSchema).nullish(),
    assignments: list('assignments', assignmentSchema).nullish(),
    administrators: administratorsSchema.nullish(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? undefined
        : iss.input === null || iss.input === undefined
          ? 'the file is empty'
          : `the file must be a mapping with accounts, groups, users, permissionSets and assignments, not ${describe(iss.input)}`,
  },
);

export type OrgFile = z.output<typeof orgFileSchema>;
export type OrgFileAccount = z.output<typeof accountSchema>;
export type OrgFileUser = z.output<typeof userSchema>;
export type OrgFilePermissionSet = z.output<typeof permissionSetSchema>;
export type OrgFileAssignment = z.output<typeof assignmentSchema>;

/** Keys each mapping accepts, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(orgFileSchema.shape),
  accounts: Object.keys(accountSchema.shape),
  federation: Object.keys(federationSchema.shape),
  identitySource: Object.keys(identitySourceSchema.shape).filter((k) => k !== 'bindPassword'),
  attributes: Object.keys(attributeMapSchema.shape),
  provisioning: Object.keys(provisioningSchema.shape),
  groups: Object.keys(groupSchema.shape),
  users: Object.keys(userSchema.shape),
  externalIds: Object.keys(externalIdSchema.shape),
  ...Object.fromEntries(LIST_ATTRIBUTES.map((l) => [l.key, l.members.map(([k]) => k)])),
  permissionSets: Object.keys(permissionSetSchema.shape),
  customerManagedPolicies: Object.keys(customerPolicySchema.shape),
  permissionsBoundary: Object.keys(customerPolicySchema.shape),
  assignments: ['user', 'group', 'permissionSet', 'accounts', 'ous'],
  administrators: Object.keys(administratorsSchema.shape),
};
