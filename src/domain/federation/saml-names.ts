/**
 * The SAML 2.0 names (namespaces and URIs) this server writes, in one place, and the escaping of
 * the text it puts in XML. Sources: SAML 2.0 core (§8 for the URIs), metadata and bindings.
 *
 * The escaping is that of Canonical XML 1.0 (§2.3, "Character Modifications"), so that text this
 * server writes is already in canonical form: what a verifier canonicalises is byte for byte what
 * was signed (see `saml-response.ts`).
 */

const SAML = 'urn:oasis:names:tc:SAML:2.0';

export const SAML_NAMES = {
  protocol: `${SAML}:protocol`,
  assertion: `${SAML}:assertion`,
  metadata: `${SAML}:metadata`,
  xmldsig: 'http://www.w3.org/2000/09/xmldsig#',
  nameIdPersistent: `${SAML}:nameid-format:persistent`,
  bearer: `${SAML}:cm:bearer`,
  statusSuccess: `${SAML}:status:Success`,
  passwordProtected: `${SAML}:ac:classes:PasswordProtectedTransport`,
  bindingRedirect: `${SAML}:bindings:HTTP-Redirect`,
  bindingPost: `${SAML}:bindings:HTTP-POST`,
} as const;

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Element content as Canonical XML writes it. */
export function xmlText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

/** An attribute value (between double quotes) as Canonical XML writes it. */
export function xmlAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!);
}
