/** The admin services by `X-Amz-Target` prefix. */
import type { AdminServiceDef } from './handler.ts';
import { identityStoreService } from './identitystore.ts';
import { organizationsService } from './organizations.ts';
import { ssoAdminService } from './sso-admin.ts';

const SERVICES: ReadonlyMap<string, AdminServiceDef> = new Map(
  [identityStoreService, ssoAdminService, organizationsService].map((s) => [s.targetPrefix, s]),
);

/** A plain `X-Amz-Target` (`Service.Operation`): its two parts and the service, if one of ours. */
export interface AdminTarget {
  prefix: string;
  operation: string;
  service: AdminServiceDef | undefined;
}

const PLAIN_TARGET = /^[\w.-]{1,256}$/;

/** The parts of an `X-Amz-Target`, or undefined when it is not a plain name (never echoed). */
export function adminTarget(target: string): AdminTarget | undefined {
  if (!PLAIN_TARGET.test(target)) return undefined;
  const [prefix = '', operation = ''] = target.split('.');
  return { prefix, operation, service: SERVICES.get(prefix) };
}
