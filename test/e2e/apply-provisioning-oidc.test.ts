/**
 * `idcenter apply` provisions IAM for `aws` accounts on OIDC federation: the IAM OIDC provider of
 * the server's issuer (its public URL) with the token audience as client id and the thumbprints
 * the file gives, and roles that trust it for `sts:AssumeRoleWithWebIdentity` on the condition
 * `<issuer>:aud`. The real `idcenter` binary (and so the JS SDK) against moto's server; boto3
 * reads back what IAM stores and makes the changes by hand that apply must set back. An account
 * that moves from OIDC to SAML trades its provider, the old one going with --prune only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MANAGEMENT, MEMBER, type ProvisioningSetup, setupProvisioning, withStore } from '../helpers/iam.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';

const ISSUER_HOST = 'idc.example.com';
const OIDC_ARN = `arn:aws:iam::${MANAGEMENT}:oidc-provider/${ISSUER_HOST}`;
const THUMBPRINT = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';
const OTHER_THUMBPRINT = '0000000000000000000000000000000000000001';
const DRIFT = '(changed outside idcenter: set back)';
const isIamLine = (line: string) => /^[+~-] IAM /.test(line);

function org(options: { managementFederation?: 'oidc' | 'saml'; managementAccess?: 'aws' | 'local' } = {}) {
  return `
federation:
  provisioning: { oidcThumbprints: ["${THUMBPRINT.toUpperCase()}"] }
accounts:
  - { id: "${MANAGEMENT}", name: Management, email: mgmt@example.com, ${options.managementAccess === 'local' ? 'access: local' : `access: aws, federation: ${options.managementFederation ?? 'oidc'}`} }
  - { id: "${MEMBER}", name: Production, email: prod@example.com, access: aws }
users:
  - { userName: alice, displayName: Alice, givenName: Alice, familyName: Doe }
permissionSets:
  - { name: Admin, sessionDuration: PT4H, managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess] }
assignments:
  - { user: alice, permissionSet: Admin, accounts: ["${MANAGEMENT}", "${MEMBER}"] }
`;
}

function webIdentityTrust() {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: OIDC_ARN },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { [`${ISSUER_HOST}:aud`]: 'sts.amazonaws.com' } },
      },
    ],
  };
}

describe('idcenter apply provisions IAM for OIDC accounts (moto)', () => {
  let moto: Moto;
  let s: ProvisioningSetup;

  before(async () => {
    moto = await startMoto({ managedPolicies: true });
    s = await setupProvisioning('sqlite', moto);
  });
  after(async () => {
    await s?.cleanup();
    await moto?.stop();
  });

  it('--dry-run lists the OIDC provider and the role that trusts it', async () => {
    const r = await s.apply(org(), ['--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(isIamLine), [
      `+ IAM ${MANAGEMENT}: create OIDC provider https://${ISSUER_HOST} for audience sts.amazonaws.com`,
      `+ IAM ${MANAGEMENT}: create role /idcenter/idcenter-Admin (permission set Admin, sessions up to 4h)`,
      `+ IAM ${MANAGEMENT}: attach arn:aws:iam::aws:policy/AdministratorAccess to role idcenter-Admin`,
      `+ IAM ${MEMBER}: create SAML provider idcenter from this server's metadata`,
      `+ IAM ${MEMBER}: create role /idcenter/idcenter-Admin (permission set Admin, sessions up to 4h)`,
      `+ IAM ${MEMBER}: attach arn:aws:iam::aws:policy/AdministratorAccess to role idcenter-Admin`,
    ]);
    assert.deepEqual(await s.readOidcProviders(MANAGEMENT), {});
  });

  it('creates the provider of the issuer and a role trusting it for AssumeRoleWithWebIdentity', async () => {
    const r = await s.apply(org());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await s.readOidcProviders(MANAGEMENT), {
      [OIDC_ARN]: {
        url: ISSUER_HOST,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: [THUMBPRINT],
        tags: { 'idcenter:managed-by': 'idcenter' },
      },
    });
    const mgmt = await s.readIam(MANAGEMENT);
    assert.deepEqual(mgmt.providers, {}, 'no SAML provider in an OIDC account');
    assert.deepEqual(mgmt.roles['idcenter-Admin']?.trust, webIdentityTrust());
    assert.deepEqual(mgmt.roles['idcenter-Admin']?.attached, ['arn:aws:iam::aws:policy/AdministratorAccess']);
    // The SAML account beside it is provisioned as before, with no OIDC provider.
    assert.deepEqual(Object.keys((await s.readIam(MEMBER)).providers), [
      `arn:aws:iam::${MEMBER}:saml-provider/idcenter`,
    ]);
    assert.deepEqual(await s.readOidcProviders(MEMBER), {});

    const calls = await withStore(s, (store) =>
      store.db.selectFrom('audit_events').select('detail').where('action', '=', 'iam.change').execute(),
    );
    assert.ok(
      calls.some((c) => (JSON.parse(c.detail!) as { call: string }).call === 'CreateOpenIDConnectProvider'),
    );

    const again = await s.apply(org());
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'No changes.\n');
  });

  it('sets back a thumbprint and a trust policy changed by hand', async () => {
    await s.changeIam(MANAGEMENT, [
      [
        'update_open_id_connect_provider_thumbprint',
        { OpenIDConnectProviderArn: OIDC_ARN, ThumbprintList: [OTHER_THUMBPRINT] },
      ],
      [
        'update_assume_role_policy',
        {
          RoleName: 'idcenter-Admin',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Federated: OIDC_ARN },
                Action: 'sts:AssumeRoleWithWebIdentity',
              },
            ],
          },
        },
      ],
    ]);
    const dry = await s.apply(org(), ['--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.stdout.split('\n').filter(isIamLine), [
      `~ IAM ${MANAGEMENT}: set the thumbprints of OIDC provider https://${ISSUER_HOST} to ${THUMBPRINT} ${DRIFT}`,
      `~ IAM ${MANAGEMENT}: set the trust policy of role idcenter-Admin ${DRIFT}`,
    ]);
    const r = await s.apply(org());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await s.readOidcProviders(MANAGEMENT))[OIDC_ARN]?.thumbprints, [THUMBPRINT]);
    assert.deepEqual((await s.readIam(MANAGEMENT)).roles['idcenter-Admin']?.trust, webIdentityTrust());
  });

  it('idcenter aws template writes the same OIDC provider and role', async () => {
    const r = await s.idcenter([
      'aws',
      'template',
      '-f',
      s.file(org()),
      '--account',
      MANAGEMENT,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const template = JSON.parse(r.stdout) as {
      Resources: Record<string, { Type: string; DependsOn?: string; Properties: Record<string, unknown> }>;
    };
    assert.deepEqual(template.Resources.OidcProvider, {
      Type: 'AWS::IAM::OIDCProvider',
      Properties: {
        Url: `https://${ISSUER_HOST}`,
        ClientIdList: ['sts.amazonaws.com'],
        ThumbprintList: [THUMBPRINT],
        Tags: [{ Key: 'idcenter:managed-by', Value: 'idcenter' }],
      },
    });
    assert.equal(template.Resources.SamlProvider, undefined);
    const role = template.Resources.RoleAdmin!;
    assert.equal(role.DependsOn, 'OidcProvider');
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument, {
      ...webIdentityTrust(),
      Statement: [
        {
          ...webIdentityTrust().Statement[0],
          Principal: {
            Federated: {
              'Fn::Sub': `arn:${'$'}{AWS::Partition}:iam::${'$'}{AWS::AccountId}:oidc-provider/${ISSUER_HOST}`,
            },
          },
        },
      ],
    });
  });

  it('an account moved to SAML trades its provider; the OIDC one goes with --prune only', async () => {
    const saml = org({ managementFederation: 'saml' });
    const kept = await s.apply(saml);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, new RegExp(`\\+ IAM ${MANAGEMENT}: create SAML provider idcenter`));
    assert.match(kept.stdout, new RegExp(`  - IAM ${MANAGEMENT}: delete OIDC provider ${ISSUER_HOST}\\n`));
    assert.deepEqual(Object.keys(await s.readOidcProviders(MANAGEMENT)), [OIDC_ARN], 'kept without --prune');
    const role = (await s.readIam(MANAGEMENT)).roles['idcenter-Admin']!;
    assert.deepEqual((role.trust as { Statement: Array<{ Action: string[] }> }).Statement[0]?.Action, [
      'sts:AssumeRoleWithSAML',
      'sts:TagSession',
      'sts:SetSourceIdentity',
    ]);

    const pruned = await s.apply(saml, ['--prune']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(await s.readOidcProviders(MANAGEMENT), {});
  });

  it('--prune removes the OIDC provider and roles of an account that is no longer aws', async () => {
    assert.equal((await s.apply(org())).code, 0);
    assert.deepEqual(Object.keys(await s.readOidcProviders(MANAGEMENT)), [OIDC_ARN]);
    const local = org({ managementAccess: 'local' });
    const r = await s.apply(local, ['--prune']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`- IAM ${MANAGEMENT}: delete OIDC provider ${ISSUER_HOST}\\n`));
    assert.deepEqual(await s.readOidcProviders(MANAGEMENT), {});
    assert.deepEqual((await s.readIam(MANAGEMENT)).roles, {});
  });
});
