/** The admin services by `X-Amz-Target` prefix. */
import type { AdminServiceDef } from './handler.ts';
import { identityStoreService } from './identitystore.ts';
import { ssoAdminService } from './sso-admin.ts';

const SERVICES: ReadonlyMap<string, AdminServiceDef> = new Map(
  [identityStoreService, ssoAdminService].map((s) => [s.targetPrefix, s]),
);

export function adminServiceOf(targetPrefix: string): AdminServiceDef | undefined {
  return SERVICES.get(targetPrefix);
}
