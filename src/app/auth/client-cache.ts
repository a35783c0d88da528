/**
 * OIDC client registrations as a server reads them, and the ones it keeps. Registrations never
 * change once written (no API updates them), so a replica may keep those it has read; expiry is
 * still checked on every use. Each server keeps its own (its context's `memory.clients`), at
 * most 10,000, the oldest out first.
 */

export interface OidcClient {
  id: string;
  name: string;
  clientType: string;
  scopes: string[];
  grantTypes: string[];
  redirectUris: string[];
  issuerUrl: string | null;
  issuedAt: number;
  expiresAt: number;
}

/** A registration with the SHA-256 of its secret, as the store holds it. */
export type StoredClient = OidcClient & { secretHash: string };

const CLIENT_CACHE_MAX = 10_000;

export class ClientCache {
  private readonly clients = new Map<string, StoredClient>();

  get(clientId: string): StoredClient | undefined {
    return this.clients.get(clientId);
  }

  set(client: StoredClient): void {
    if (this.clients.size >= CLIENT_CACHE_MAX) {
      const oldest = this.clients.keys().next();
      if (!oldest.done) this.clients.delete(oldest.value);
    }
    this.clients.set(client.id, client);
  }
}
