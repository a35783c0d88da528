/**
 * Signs the Assertion of a SAML Response the way IAM verifies it: an enveloped XML signature,
 * RSA-SHA256 over a SHA-256 digest, exclusive canonicalisation, the signing certificate in
 * KeyInfo (IAM compares it with the certificates of the provider's metadata). The signature goes
 * right after the Assertion's Issuer, where the SAML schema puts it.
 *
 * No general XML-DSig library does the work: the Assertion is written by us already in exclusive
 * canonical form (`domain/federation/saml-response.ts`), so signing is a digest of those bytes, a
 * SignedInfo in canonical form, and one RSA signature. A general library parses the document,
 * evaluates XPath and canonicalises a DOM, which measured about twenty times the cost of the RSA
 * signature itself and kept a federated GetRoleCredentials far from its budget (`npm run bench`,
 * saml). The tests verify every signature with two independent verifiers (xmlsec1 and
 * xml-crypto), so a slip in the canonical form cannot pass unnoticed.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { SAML_NAMES } from '../../domain/federation/saml-names.ts';
import type { SamlResponseParts } from '../../domain/federation/saml-response.ts';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface SamlSigningKey {
  /** The RSA private key. */
  privateKey: KeyObject;
  /** Its certificate, PEM, as the metadata publishes it. */
  certificate: string;
  /** The certificate's base64 body on one line, as KeyInfo carries it. */
  certificateBody: string;
}

/** The SignedInfo's content (without the element's own tags), the same in both forms. */
function signedInfoContent(referenceId: string, digest: string): string {
  return (
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${RSA_SHA256}"></ds:SignatureMethod>` +
    `<ds:Reference URI="#${referenceId}">` +
    `<ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"></ds:Transform><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${SHA256}"></ds:DigestMethod>` +
    `<ds:DigestValue>${digest}</ds:DigestValue>` +
    '</ds:Reference>'
  );
}

/** The signed Assertion placed in its Response: the text to base64 for STS or a browser POST. */
export function signSamlResponse(parts: SamlResponseParts, key: SamlSigningKey): string {
  const digest = createHash('sha256').update(parts.assertion).digest('base64');
  const content = signedInfoContent(parts.assertionId, digest);
  // Canonicalised on its own, SignedInfo carries the ds namespace its ancestor declares.
  const canonicalSignedInfo = `<ds:SignedInfo xmlns:ds="${SAML_NAMES.xmldsig}">${content}</ds:SignedInfo>`;
  // The one-shot form: no Sign object per signature for the collector to track.
  const value = sign('sha256', Buffer.from(canonicalSignedInfo), key.privateKey).toString('base64');
  const signature =
    `<ds:Signature xmlns:ds="${SAML_NAMES.xmldsig}">` +
    `<ds:SignedInfo>${content}</ds:SignedInfo>` +
    `<ds:SignatureValue>${value}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${key.certificateBody}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</ds:Signature>';
  const afterIssuer = parts.assertion.indexOf('</saml:Issuer>') + '</saml:Issuer>'.length;
  const signed = parts.assertion.slice(0, afterIssuer) + signature + parts.assertion.slice(afterIssuer);
  return parts.response(signed);
}
