/** The admin services by `X-Amz-Target` prefix. */
import type { AdminServiceDef } from './handler.ts';
import { identityStoreService } from './identitystore.ts';
import { organizationsService } from './organizations.ts';
import { ssoAdminService } from './sso-admin.ts';

const SERVICES: ReadonlyMap<string, AdminServiceDef> = new Map(
  [identityStoreService, ssoAdminService, organizationsService].map((s) => [s.targetPrefix, s]),
);

export function adminServiceOf(targetPrefix: string): AdminServiceDef | undefined {
  return SERVICES.get(targetPrefix);
}
