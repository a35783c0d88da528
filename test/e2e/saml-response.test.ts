/**
 * The SAML Response idcenter signs for IAM federation, judged by tools that are not ours:
 * `xmlsec1` and xml-crypto verify the Assertion's signature against the certificate taken from
 * the server's own metadata, and moto's STS and IAM (standing in for AWS) accept the metadata in
 * CreateSAMLProvider and turn the Response into role credentials with AssumeRoleWithSAML.
 * The contents are read back with an XML parser and held against what AWS checks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { loadSamlKeys, SamlKeyError, type SamlKeys } from '../../src/app/federation/saml-keys.ts';
import { signSamlResponse } from '../../src/app/federation/saml-signer.ts';
import { roleArn, samlProviderArn, signinEndpoint } from '../../src/domain/federation/partitions.ts';
import { buildSamlMetadata, certificateBody } from '../../src/domain/federation/saml-metadata.ts';
import { buildSamlResponse, type SamlResponseInput } from '../../src/domain/federation/saml-response.ts';
import { type Moto, startMoto } from '../helpers/moto.ts';
import { cleanAwsEnv, python, tempHome } from '../helpers/python.ts';
import {
  samlAttributes as attributes,
  certificateFromMetadata,
  NS_ASSERTION,
  xmlCryptoVerify,
  xmlsecVerify,
} from '../helpers/saml.ts';

const ACCOUNT = '123456789012';
const ENTITY_ID = 'https://idc.example.test/saml/metadata';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';

function input(overrides: Partial<SamlResponseInput> = {}): SamlResponseInput {
  return {
    issuer: ENTITY_ID,
    audience: signinEndpoint('aws'),
    nameId: 'u-0123456789abcdef',
    roleArn: roleArn('aws', ACCOUNT, '/idcenter/', 'idcenter-Admin'),
    providerArn: samlProviderArn('aws', ACCOUNT, 'idcenter'),
    sessionName: 'alice@example.com',
    sessionSeconds: 3600,
    sourceIdentity: 'alice',
    principalTags: { team: 'platform', costCenter: 'cc-42' },
    transitiveTagKeys: ['team'],
    now: Date.now(),
    ids: { response: '_r0123456789abcdef', assertion: '_a0123456789abcdef', session: '_s0123456789abcdef' },
    ...overrides,
  };
}

describe('SAML Response for IAM federation', () => {
  let dataDir: string;
  let keys: SamlKeys;
  let metadata: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-saml-'));
    keys = await loadSamlKeys({ dataDir });
    metadata = buildSamlMetadata({
      entityId: ENTITY_ID,
      certificates: keys.certificates,
      signOnUrl: 'https://idc.example.test/start',
    });
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('carries a signed Assertion that xmlsec1 and xml-crypto verify with the metadata certificate', async () => {
    const signed = signSamlResponse(buildSamlResponse(input()), keys.signing);
    const cert = certificateFromMetadata(metadata);
    assert.equal(await xmlsecVerify(signed, cert), true, 'xmlsec1');
    assert.equal(xmlCryptoVerify(signed, cert), true, 'xml-crypto');
    assert.match(
      signed,
      /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/,
    );
    assert.match(signed, /CanonicalizationMethod Algorithm="http:\/\/www\.w3\.org\/2001\/10\/xml-exc-c14n#"/);
  });

  it('writes the Assertion in exclusive canonical form, as a verifier canonicalises it', () => {
    const parts = buildSamlResponse(
      input({ nameId: 'u-<a>&"b"\'c\'', issuer: 'https://idc.example.test/?a=1&b=<2>"3"' }),
    );
    const doc = new DOMParser().parseFromString(parts.response(parts.assertion), 'text/xml');
    const assertion = doc.getElementsByTagNameNS(NS_ASSERTION, 'Assertion').item(0)!;
    const canonical = new ExclusiveCanonicalization().process(assertion, {}).toString();
    assert.equal(canonical, parts.assertion);
  });

  it('fails verification once a value is changed, or with another certificate', async () => {
    const signed = signSamlResponse(buildSamlResponse(input()), keys.signing);
    const cert = certificateFromMetadata(metadata);
    const tampered = signed.replace('alice@example.com', 'mallory@example.com');
    assert.notEqual(tampered, signed);
    assert.equal(await xmlsecVerify(tampered, cert), false);
    assert.equal(xmlCryptoVerify(tampered, cert), false);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-saml-other-'));
    try {
      const other = await loadSamlKeys({ dataDir: otherDir });
      assert.equal(await xmlsecVerify(signed, other.signing.certificate), false);
      assert.equal(xmlCryptoVerify(signed, other.signing.certificate), false);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('says what AWS checks: issuer, audience, recipient, validity, role, session name, duration, tags', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    const signed = signSamlResponse(buildSamlResponse(input({ now })), keys.signing);
    const doc = new DOMParser().parseFromString(signed, 'text/xml');
    const one = (name: string) => doc.getElementsByTagNameNS(NS_ASSERTION, name).item(0)!;
    const issuers = doc.getElementsByTagNameNS(NS_ASSERTION, 'Issuer');
    assert.equal(issuers.length, 2);
    for (let i = 0; i < issuers.length; i++) assert.equal(issuers.item(i)!.textContent, ENTITY_ID);
    assert.equal(doc.documentElement!.getAttribute('Destination'), 'https://signin.aws.amazon.com/saml');
    assert.equal(one('Audience').textContent, 'https://signin.aws.amazon.com/saml');
    const confirmation = one('SubjectConfirmationData');
    assert.equal(confirmation.getAttribute('Recipient'), 'https://signin.aws.amazon.com/saml');
    assert.equal(one('SubjectConfirmation').getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
    assert.equal(confirmation.getAttribute('NotOnOrAfter'), '2026-12-07T10:05:00Z');
    assert.equal(one('Conditions').getAttribute('NotBefore'), '2026-12-07T09:59:00Z');
    assert.equal(one('Conditions').getAttribute('NotOnOrAfter'), '2026-12-07T10:05:00Z');
    assert.equal(one('NameID').textContent, 'u-0123456789abcdef');
    assert.ok(one('AuthnStatement'));
    const attrs = attributes(signed);
    assert.deepEqual(attrs.get(`${ATTR}Role`), [
      `arn:aws:iam::${ACCOUNT}:role/idcenter/idcenter-Admin,arn:aws:iam::${ACCOUNT}:saml-provider/idcenter`,
    ]);
    assert.deepEqual(attrs.get(`${ATTR}RoleSessionName`), ['alice@example.com']);
    assert.deepEqual(attrs.get(`${ATTR}SessionDuration`), ['3600']);
    assert.deepEqual(attrs.get(`${ATTR}SourceIdentity`), ['alice']);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:team`), ['platform']);
    assert.deepEqual(attrs.get(`${ATTR}PrincipalTag:costCenter`), ['cc-42']);
    assert.deepEqual(attrs.get(`${ATTR}TransitiveTagKeys`), ['team']);
  });

  it('escapes markup in every value it writes', async () => {
    const signed = signSamlResponse(
      buildSamlResponse(input({ nameId: 'u-<x>&"y"', issuer: 'https://idc.example.test/?a=1&b=<2>' })),
      keys.signing,
    );
    const doc = new DOMParser().parseFromString(signed, 'text/xml');
    assert.equal(doc.getElementsByTagNameNS(NS_ASSERTION, 'NameID').item(0)!.textContent, 'u-<x>&"y"');
    const issuer = doc.getElementsByTagNameNS(NS_ASSERTION, 'Issuer').item(0)!.textContent;
    assert.equal(issuer, 'https://idc.example.test/?a=1&b=<2>');
    assert.equal(await xmlsecVerify(signed, keys.signing.certificate), true);
    assert.equal(xmlCryptoVerify(signed, keys.signing.certificate), true);
  });

  it('refuses, by name, values AWS would refuse', () => {
    const cases: [Partial<SamlResponseInput>, RegExp][] = [
      [{ sessionName: 'a' }, /role session name "a"/],
      [{ sessionName: 'alice smith' }, /role session name "alice smith"/],
      [{ sessionName: 'x'.repeat(65) }, /role session name/],
      [{ sessionSeconds: 899 }, /session duration 899 s/],
      [{ sessionSeconds: 43_201 }, /session duration 43201 s/],
      [{ sourceIdentity: 'a b' }, /source identity "a b"/],
      [{ principalTags: { 'bad key!': 'v' }, transitiveTagKeys: [] }, /session tag key "bad key!"/],
      [{ principalTags: { k: 'v'.repeat(257) }, transitiveTagKeys: [] }, /value of session tag "k"/],
      [{ transitiveTagKeys: ['absent'] }, /transitive tag key "absent"/],
      [{ ids: { response: '1bad', assertion: '_a', session: '_s' } }, /"1bad" is not an XML id/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => buildSamlResponse(input(overrides)), message, JSON.stringify(overrides));
    }
  });

  describe('against moto standing in for IAM and STS', () => {
    let moto: Moto;
    let home: ReturnType<typeof tempHome>;
    before(async () => {
      moto = await startMoto();
      home = tempHome();
    });
    after(async () => {
      await moto?.stop();
      home?.cleanup();
    });

    it('CreateSAMLProvider takes the metadata; AssumeRoleWithSAML gives credentials for the role and user', async () => {
      const signed = signSamlResponse(buildSamlResponse(input()), keys.signing);
      const script = `
import boto3, json, sys, base64
url, metadata, assertion = sys.argv[1], sys.argv[2], sys.argv[3]
iam = boto3.client('iam', endpoint_url=url, region_name='us-east-1')
sts = boto3.client('sts', endpoint_url=url, region_name='us-east-1')
provider = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name='idcenter')['SAMLProviderArn']
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Federated': provider},
  'Action': ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
  'Condition': {'StringEquals': {'SAML:aud': 'https://signin.aws.amazon.com/saml'}}}]}
role = iam.create_role(RoleName='idcenter-Admin', Path='/idcenter/', AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn']
out = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=base64.b64encode(assertion.encode()).decode())
c = out['Credentials']
me = boto3.client('sts', endpoint_url=url, region_name='us-east-1', aws_access_key_id=c['AccessKeyId'],
  aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken']).get_caller_identity()
print(json.dumps({'provider': provider, 'role': role, 'arn': me['Arn'], 'account': me['Account']}))
`;
      const env = cleanAwsEnv(home.home, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
      const res = await python(script, [moto.url, metadata, signed], env);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout) as Record<string, string>;
      assert.equal(out.provider, samlProviderArn('aws', ACCOUNT, 'idcenter'));
      assert.equal(out.role, roleArn('aws', ACCOUNT, '/idcenter/', 'idcenter-Admin'));
      assert.equal(out.account, ACCOUNT);
      assert.equal(out.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/idcenter-Admin/alice@example.com`);
    });
  });
});

describe('SAML signing keys', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-saml-keys-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are generated once into <data dir>/saml, private, and reused', async () => {
    const first = await loadSamlKeys({ dataDir: dir });
    const second = await loadSamlKeys({ dataDir: dir });
    assert.ok(second.signing.privateKey.equals(first.signing.privateKey));
    assert.equal(second.signing.certificate, first.signing.certificate);
    assert.equal(fs.statSync(path.join(dir, 'saml')).mode & 0o777, 0o700);
    for (const name of fs.readdirSync(path.join(dir, 'saml'))) {
      assert.equal(fs.statSync(path.join(dir, 'saml', name)).mode & 0o777, 0o600, name);
    }
    assert.deepEqual(fs.readdirSync(path.join(dir, 'saml')).sort(), ['signing-cert.pem', 'signing-key.pem']);
  });

  it('given as files: a missing file, a certificate of another key, or only one of the two are refused by name', async () => {
    const own = await loadSamlKeys({ dataDir: dir });
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-saml-keys-other-'));
    try {
      await loadSamlKeys({ dataDir: otherDir });
      const keyFile = path.join(dir, 'saml', 'signing-key.pem');
      const foreignCert = path.join(otherDir, 'saml', 'signing-cert.pem');
      await assert.rejects(
        loadSamlKeys({ dataDir: dir, keyFile, certFile: foreignCert }),
        (err: Error) => err instanceof SamlKeyError && err.message.includes(`${foreignCert} does not match`),
      );
      await assert.rejects(
        loadSamlKeys({ dataDir: dir, keyFile: path.join(dir, 'nope.pem'), certFile: foreignCert }),
        /nope\.pem cannot be used: it does not exist/,
      );
      await assert.rejects(loadSamlKeys({ dataDir: dir, keyFile }), /give both IDCENTER_SAML_KEY_FILE/);
      const withNext = await loadSamlKeys({ dataDir: dir, nextCertFile: foreignCert });
      assert.equal(withNext.certificates.length, 2);
      const md = buildSamlMetadata({
        entityId: ENTITY_ID,
        certificates: withNext.certificates,
        signOnUrl: 'https://x/',
      });
      assert.ok(md.includes(certificateBody(own.signing.certificate)));
      assert.ok(md.includes(certificateBody(fs.readFileSync(foreignCert, 'utf8'))));
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
