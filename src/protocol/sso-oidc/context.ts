/** What every SSO OIDC operation needs, built once when the routes are registered. */
import type { AuthSettings } from '../../app/auth/issue.ts';
import type { ServerDeps } from '../../http/deps.ts';

export interface OidcContext {
  deps: ServerDeps;
  settings: AuthSettings;
  /** scheme://host[:port] of the public URL: where `/authorize` is served (wire-protocols §1.2). */
  origin: string;
  /** Whether a startUrl/issuerUrl names this instance (§3.7). */
  isAcceptedStartUrl: (url: unknown) => boolean;
}
