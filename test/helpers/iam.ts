/**
 * IAM provisioning in tests: the real `idcenter` binary run against moto's server (STS and IAM)
 * with a provisioning credential in the environment, a store of its own, and boto3 to read what
 * IAM stores in an account and to make changes by hand. Accounts other than moto's default one
 * are reached, like idcenter reaches them, through OrganizationAccountAccessRole.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStore, type Store } from '../../src/storage/db.ts';
import type { Moto } from './moto.ts';
import { cleanAwsEnv, python, type RunResult, run, tempHome } from './python.ts';
import { type StoreKind, type TempStoreUrl, tempStoreUrl } from './stores.ts';

export const BIN = path.resolve(import.meta.dirname, '../../bin/idcenter.js');
/** moto's default account: the provisioning credential's own. */
export const MANAGEMENT = '123456789012';
/** A member account, reached with AssumeRole into OrganizationAccountAccessRole. */
export const MEMBER = '222222222222';
export const PUBLIC_URL = 'https://idc.example.com';
export const AUDIENCE = 'https://signin.aws.amazon.com/saml';

/** boto3 as the account: moto's default account directly, others through OrganizationAccountAccessRole. */
const IAM_CLIENT = `
import boto3, json, sys
url, account = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=url, region_name='us-east-1')
creds = dict(aws_access_key_id='testing', aws_secret_access_key='testing')
if account != '${MANAGEMENT}':
    c = boto3.client('sts', **kw, **creds).assume_role(
        RoleArn=f'arn:aws:iam::{account}:role/OrganizationAccountAccessRole', RoleSessionName='test')['Credentials']
    creds = dict(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'],
        aws_session_token=c['SessionToken'])
iam = boto3.client('iam', **kw, **creds)
`;

/** What IAM stores in an account, as boto3 reads it. */
const READ_IAM = `${IAM_CLIENT}
import ast
def document(d):
    # boto3 gives JSON documents parsed; moto's CloudFormation stores a role's inline policy as
    # Python text (its str() of the parsed template), which only literal_eval reads back.
    return ast.literal_eval(d) if isinstance(d, str) else d
out = {'providers': {}, 'roles': {}}
for p in iam.list_saml_providers()['SAMLProviderList']:
    out['providers'][p['Arn']] = iam.get_saml_provider(SAMLProviderArn=p['Arn'])['SAMLMetadataDocument'].strip()
for r in iam.list_roles()['Roles']:
    name = r['RoleName']
    role = iam.get_role(RoleName=name)['Role']
    out['roles'][name] = {
        'arn': role['Arn'], 'path': role['Path'], 'maxSessionDuration': role['MaxSessionDuration'],
        'trust': role['AssumeRolePolicyDocument'],
        'tags': {t['Key']: t['Value'] for t in role.get('Tags', [])},
        'boundary': role.get('PermissionsBoundary', {}).get('PermissionsBoundaryArn'),
        'attached': sorted(p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName=name)['AttachedPolicies']),
        'inline': {n: document(iam.get_role_policy(RoleName=name, PolicyName=n)['PolicyDocument'])
                   for n in iam.list_role_policies(RoleName=name)['PolicyNames']},
    }
print(json.dumps(out))
`;

/** The OIDC providers of an account, as boto3 reads them. */
const READ_OIDC = `${IAM_CLIENT}
out = {}
for p in iam.list_open_id_connect_providers()['OpenIDConnectProviderList']:
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p['Arn'])
    out[p['Arn']] = {'url': got['Url'], 'clientIds': got.get('ClientIDList', []),
        'thumbprints': got.get('ThumbprintList', []), 'tags': {t['Key']: t['Value'] for t in got.get('Tags', [])}}
print(json.dumps(out))
`;

/** Changes made by hand: a list of [method, arguments]; documents are JSON-encoded here. */
const CHANGE_IAM = `${IAM_CLIENT}
for method, args in json.loads(sys.argv[3]):
    args = {k: json.dumps(v) if k.endswith('Document') else v for k, v in args.items()}
    getattr(iam, method)(**args)
print('{}')
`;

export interface IamRole {
  arn: string;
  path: string;
  maxSessionDuration: number;
  trust: unknown;
  tags: Record<string, string>;
  boundary: string | null;
  attached: string[];
  inline: Record<string, unknown>;
}
export interface IamState {
  providers: Record<string, string>;
  roles: Record<string, IamRole>;
}

export interface OidcProvider {
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Record<string, string>;
}

export interface ProvisioningSetup {
  moto: Moto;
  temp: TempStoreUrl;
  home: ReturnType<typeof tempHome>;
  dir: string;
  env: (extra?: Record<string, string>) => NodeJS.ProcessEnv;
  apply: (text: string, args?: string[], extra?: Record<string, string>) => Promise<RunResult>;
  /** `idcenter …args` with the setup's environment. */
  idcenter: (args: string[], extra?: Record<string, string>) => Promise<RunResult>;
  /** Write `text` to a new file in the setup's folder; returns its path. */
  file: (text: string, ext?: string) => string;
  readIam: (account: string) => Promise<IamState>;
  /** The account's IAM OIDC providers by ARN. */
  readOidcProviders: (account: string) => Promise<Record<string, OidcProvider>>;
  changeIam: (account: string, ops: Array<[string, Record<string, unknown>]>) => Promise<void>;
  cleanup: () => Promise<void>;
}

/** A store, a HOME and the environment of an `idcenter` run that provisions through `moto`. */
export async function setupProvisioning(kind: StoreKind, moto: Moto): Promise<ProvisioningSetup> {
  const temp = await tempStoreUrl(kind);
  const home = tempHome();
  const dir = fs.mkdtempSync(path.join(temp.dataDir, 'files-'));
  const env = (extra: Record<string, string> = {}) =>
    cleanAwsEnv(home.home, {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      IDCENTER_AWS_STS_ENDPOINT: moto.url,
      IDCENTER_AWS_IAM_ENDPOINT: moto.url,
      IDCENTER_PUBLIC_URL: PUBLIC_URL,
      IDCENTER_DATA_DIR: temp.dataDir,
      IDCENTER_DATABASE_URL: temp.url,
      ...extra,
    });
  let files = 0;
  const file = (text: string, ext = 'yaml') => {
    const f = path.join(dir, `file-${++files}.${ext}`);
    fs.writeFileSync(f, text);
    return f;
  };
  const idcenter = (args: string[], extra: Record<string, string> = {}) =>
    run(process.execPath, [BIN, ...args], { env: env(extra), timeoutMs: 120_000 });
  const apply = (text: string, args: string[] = [], extra: Record<string, string> = {}) =>
    idcenter(['apply', '-f', file(text), ...args], extra);
  const readIam = async (account: string) => {
    const r = await python(READ_IAM, [moto.url, account], env());
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as IamState;
  };
  const readOidcProviders = async (account: string) => {
    const r = await python(READ_OIDC, [moto.url, account], env());
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, OidcProvider>;
  };
  const changeIam = async (account: string, ops: Array<[string, Record<string, unknown>]>) => {
    const r = await python(CHANGE_IAM, [moto.url, account, JSON.stringify(ops)], env());
    assert.equal(r.code, 0, r.stderr);
  };
  return {
    moto,
    temp,
    home,
    dir,
    env,
    apply,
    idcenter,
    file,
    readIam,
    readOidcProviders,
    changeIam,
    cleanup: async () => {
      home.cleanup();
      await temp.cleanup();
    },
  };
}

export async function withStore<T>(s: ProvisioningSetup, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(s.temp.url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
