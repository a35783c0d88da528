/**
 * Which URL each service call goes to, resolved like botocore and the JS SDK
 * (docs/wire-protocols.md, "Endpoint resolution"): `AWS_ENDPOINT_URL_<SERVICE>`, then
 * `AWS_ENDPOINT_URL`, then the profile's `services` block, then the profile's `endpoint_url`;
 * otherwise the real AWS endpoint of the region.
 */

import { getProfile, type LoadedConfig, profilesOfSession, profilesOfStartUrl, str } from './aws-config.ts';
import type { ConfigValue } from './config-file.ts';
import { sectionId } from './config-file.ts';

export type ServiceKey = 'sso' | 'sso_oidc' | 'sts';

export interface Endpoint {
  url: string;
  /** True when configured (env or config), false for the real AWS endpoint. */
  custom: boolean;
  /** Where it came from, for --debug. */
  source: string;
}

const ENV_NAME: Record<ServiceKey, string> = {
  sso: 'AWS_ENDPOINT_URL_SSO',
  sso_oidc: 'AWS_ENDPOINT_URL_SSO_OIDC',
  sts: 'AWS_ENDPOINT_URL_STS',
};

function isTrue(v: string | undefined): boolean {
  return v !== undefined && v.trim().toLowerCase() === 'true';
}

/** The real AWS endpoint of a service in a region. */
export function awsEndpoint(service: ServiceKey, region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  switch (service) {
    case 'sso':
      return `https://portal.sso.${region}.${suffix}`;
    case 'sso_oidc':
      return `https://oidc.${region}.${suffix}`;
    case 'sts':
      return `https://sts.${region}.${suffix}`;
  }
}

export interface EndpointContext {
  env: NodeJS.ProcessEnv;
  cfg: LoadedConfig;
  /** The profile whose `services` / `endpoint_url` apply, if any. */
  profile?: Record<string, ConfigValue> | undefined;
}

export function resolveEndpoint(service: ServiceKey, region: string, ctx: EndpointContext): Endpoint {
  const ignore =
    isTrue(ctx.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ||
    isTrue(str(ctx.profile?.ignore_configured_endpoint_urls));
  if (!ignore) {
    const specific = ctx.env[ENV_NAME[service]];
    if (specific) return { url: specific, custom: true, source: ENV_NAME[service] };
    const global = ctx.env.AWS_ENDPOINT_URL;
    if (global) return { url: global, custom: true, source: 'AWS_ENDPOINT_URL' };
    const servicesName = str(ctx.profile?.services);
    if (servicesName) {
      const block = ctx.cfg.file.get(sectionId.services(servicesName));
      const entry = block?.[service];
      if (entry && typeof entry === 'object' && entry.endpoint_url) {
        return { url: entry.endpoint_url, custom: true, source: `[services ${servicesName}] ${service}` };
      }
    }
    const perProfile = str(ctx.profile?.endpoint_url);
    if (perProfile) return { url: perProfile, custom: true, source: 'profile endpoint_url' };
  }
  return { url: awsEndpoint(service, region), custom: false, source: 'AWS' };
}

/**
 * The profile whose endpoint settings apply to an SSO login target: the profile itself, else the
 * first profile of the session (or of the legacy start URL) that names endpoints.
 */
export function endpointProfile(
  cfg: LoadedConfig,
  target: { kind: 'session' | 'legacy'; sessionName?: string; startUrl: string; profileName?: string },
): Record<string, ConfigValue> | undefined {
  if (target.profileName !== undefined) {
    const own = getProfile(cfg, target.profileName);
    if (own && (own.services !== undefined || own.endpoint_url !== undefined)) return own;
  }
  const names =
    target.kind === 'session' && target.sessionName !== undefined
      ? profilesOfSession(cfg, target.sessionName)
      : profilesOfStartUrl(cfg, target.startUrl);
  for (const n of names) {
    const p = getProfile(cfg, n);
    if (p && (p.services !== undefined || p.endpoint_url !== undefined)) return p;
  }
  return target.profileName !== undefined ? getProfile(cfg, target.profileName) : undefined;
}
