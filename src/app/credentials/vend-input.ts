/**
 * What a request for role credentials carries and what it gets back: shared by vending
 * (`vend.ts`) and by its federated branch (`../federation/vend-federated.ts`), which `vend.ts`
 * calls, so neither imports the other for them.
 */
export interface VendInput {
  userId: string;
  userName: string;
  accountId: string;
  /** Permission-set name, as the portal API calls it. */
  roleName: string;
  /** Portal session the request comes from (web portal, or the token family's session). */
  sessionId: string | null;
  /** OIDC token family of the bearer token (portal API), null from the web portal. */
  familyId: string | null;
  sourceIp: string | null;
  channel: 'portal' | 'sso-api';
  /** When the request arrived (`performance.now()`), see `Store.generation`. */
  receivedAt?: number;
  /**
   * The store generation read before the caller checked the sign-in (bearer token or portal
   * session): the confirmation step reads everything again if the store moved since. Defaults to
   * the generation vending reads first.
   */
  since?: number;
}

export interface VendedCredentials {
  /**
   * Who accepts them: `local`, this server alone (its STS); `aws`, real AWS (a federated
   * account, `app/federation/vend-federated.ts`).
   */
  access: 'local' | 'aws';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}
