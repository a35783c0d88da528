/**
 * What the server holds for federated (`aws`) accounts: the SAML identity provider, the OIDC
 * issuer of web identity tokens and the STS client, with the endpoints and timeout of the
 * settings. Built once where the server is assembled (`http/server.ts`) and handed to the areas
 * in `ServerDeps`.
 */
import type { Config } from '../../config/schema.ts';
import { createSamlIdentityProvider, type SamlIdentityProvider } from './identity-provider.ts';
import { createFederationSts, type FederationSts } from './sts.ts';
import { createWebIdentityIssuer, type WebIdentityIssuer } from './web-identity.ts';

/** What the server holds for federated accounts, built once where the server is assembled. */
export interface Federation {
  readonly idp: SamlIdentityProvider;
  /** The OIDC issuer for accounts with `federation: oidc`. */
  readonly webIdentity: WebIdentityIssuer;
  readonly sts: FederationSts;
  /** `IDCENTER_AWS_STS_ENDPOINT`, or '' for the partition's regional endpoint. */
  readonly stsEndpoint: string;
  /** `IDCENTER_AWS_SIGNIN_ENDPOINT`, or '' for the partition's sign-in endpoint. */
  readonly signinEndpoint: string;
  /** `IDCENTER_AWS_STS_TIMEOUT` in seconds, for messages. */
  readonly timeoutSeconds: number;
}

type FederationConfig = Parameters<typeof createSamlIdentityProvider>[0] &
  Parameters<typeof createWebIdentityIssuer>[0] &
  Pick<Config, 'awsStsEndpoint' | 'awsSigninEndpoint' | 'awsStsTimeout'>;

export function createFederation(config: FederationConfig): Federation {
  return {
    idp: createSamlIdentityProvider(config),
    webIdentity: createWebIdentityIssuer(config),
    sts: createFederationSts({ timeoutMs: config.awsStsTimeout * 1000 }),
    stsEndpoint: config.awsStsEndpoint,
    signinEndpoint: config.awsSigninEndpoint,
    timeoutSeconds: config.awsStsTimeout,
  };
}
