/** What every SSO OIDC operation needs, built once when the routes are registered. */
import type { AuthSettings } from '../../app/auth/issue.ts';
import type { ServerDeps } from '../../app/server-deps.ts';

export interface OidcContext {
  deps: ServerDeps;
  settings: AuthSettings;
  /**
   * scheme://host[:port] of the public URL: where `/authorize` is served (docs/wire-protocols.md,
   * "URL joining").
   */
  origin: string;
  /**
   * Whether a startUrl/issuerUrl names this instance (docs/wire-protocols.md,
   * "Start URL resolution").
   */
  isAcceptedStartUrl: (url: unknown) => boolean;
}
