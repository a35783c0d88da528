/**
 * The identity provider's SAML metadata: the document `aws iam create-saml-provider
 * --saml-metadata-document` takes. IAM reads the entity id (which must equal the Issuer of every
 * assertion) and the signing certificates from it; during a key rollover both the current and
 * the next certificate are listed, so the provider trusts assertions signed by either.
 *
 * Schema: "Metadata for the OASIS Security Assertion Markup Language (SAML) V2.0", §2.3 (entity
 * descriptor), §2.4.3 (IdP SSO descriptor), §2.4.1.1 (key descriptor).
 */
import { SAML_NAMES, xmlAttribute } from './saml-names.ts';

export interface SamlMetadataInput {
  entityId: string;
  /** PEM certificates that sign assertions: the current one first, then a published next one. */
  certificates: readonly string[];
  /** Where a browser starts a sign-in (the access portal). */
  signOnUrl: string;
}

/** The base64 body of a PEM certificate, on one line. */
export function certificateBody(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('not a PEM certificate');
  return match[1]!.replace(/\s+/g, '');
}

export function buildSamlMetadata(input: SamlMetadataInput): string {
  const keys = input.certificates
    .map(
      (pem) =>
        '  <md:KeyDescriptor use="signing">\n' +
        `    <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n` +
        '  </md:KeyDescriptor>\n',
    )
    .join('');
  const location = xmlAttribute(input.signOnUrl);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<md:EntityDescriptor xmlns:md="${SAML_NAMES.metadata}" xmlns:ds="${SAML_NAMES.xmldsig}" entityID="${xmlAttribute(input.entityId)}">\n` +
    ` <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${SAML_NAMES.protocol}">\n` +
    keys +
    `  <md:NameIDFormat>${SAML_NAMES.nameIdPersistent}</md:NameIDFormat>\n` +
    `  <md:SingleSignOnService Binding="${SAML_NAMES.bindingRedirect}" Location="${location}"/>\n` +
    `  <md:SingleSignOnService Binding="${SAML_NAMES.bindingPost}" Location="${location}"/>\n` +
    ' </md:IDPSSODescriptor>\n' +
    '</md:EntityDescriptor>\n'
  );
}
