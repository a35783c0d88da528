/**
 * The SAML 2.0 names (namespaces and URIs) this server writes, in one place, and the escaping of
 * the text it puts in XML. Sources: SAML 2.0 core (§8 for the URIs), metadata and bindings.
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

/** Text for element content and attribute values, with every markup character escaped. */
export function xmlEscape(value: string): string {
  return value.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}
