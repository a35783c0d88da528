/**
 * Signs a SAML Response the way IAM verifies it: RSA-SHA256 over SHA-256 digests, exclusive
 * canonicalisation, enveloped signatures. The Assertion is signed first (so it stays valid if a
 * relying party extracts it) and then the whole Response; each `ds:Signature` goes right after
 * its element's Issuer, where the SAML schema puts it. The signing certificate rides in KeyInfo,
 * and IAM compares it with the certificates of the provider's metadata.
 *
 * xml-crypto does the canonicalisation and signing: XML-DSig has enough traps (namespace
 * propagation under exclusive c14n, reference URIs, transforms) that a well-used library made
 * for the job beats our own.
 */
import { SignedXml } from 'xml-crypto';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface SamlSigningKey {
  /** PEM private key (RSA). */
  privateKey: string;
  /** PEM certificate for the key, as published in the metadata. */
  certificate: string;
}

const element = (name: string) => `/*[local-name(.)='${name}']`;

function signElement(xml: string, path: string, key: SamlSigningKey): string {
  const sig = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.certificate,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({ xpath: path, digestAlgorithm: SHA256, transforms: [ENVELOPED, EXC_C14N] });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${path}${element('Issuer')}`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** The Response with a signed Assertion, itself signed. */
export function signSamlResponse(unsigned: string, key: SamlSigningKey): string {
  const assertion = `${element('Response')}${element('Assertion')}`;
  return signElement(signElement(unsigned, assertion, key), element('Response'), key);
}
