/**
 * The admin console at `/admin` (README, "Admin console"), for administrators only:
 *
 * | Route | What |
 * |---|---|
 * | `GET /admin` | to the users |
 * | `GET /admin/users`, `/admin/users/:id`, `POST /admin/users…` | users (`users.ts`) |
 * | `GET /admin/groups…`, `POST …/members` | groups and memberships (`groups.ts`) |
 * | `GET /admin/accounts…`, `POST /admin/ous…`, `POST /admin/accounts/:id/move`, `POST /admin/assignments…` | accounts, OUs, assignments (`organization.ts`) |
 * | `GET /admin/permission-sets…`, `POST /admin/permission-sets…` | permission sets and their policies (`permission-sets.ts`) |
 * | `GET /admin/sessions`, `POST /admin/sessions/end`, `GET /admin/audit` | sessions and the audit log (`activity.ts`) |
 *
 * What an administrator may see and do is what their administrators' permission sets allow
 * through the admin APIs (`app/admin/console-authority.ts`): anything else is answered 403.
 *
 * Pages carry the strict CSP of `sendPage` and work without script; forms POST with the
 * session's CSRF token. Bad input (text that is not UTF-8 without control characters, too long,
 * naming what does not exist) is answered 400 with a page that says what to fix, a conflict 409,
 * and nothing is changed; the details of an unexpected error go to the log only.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../../app/server-deps.ts';
import { isDomainError } from '../../domain/errors.ts';
import { pathPrefix, webPath } from '../paths.ts';
import { formLimitOf, refuseUnreadableText } from '../request-text.ts';
import { registerActivity } from './activity.ts';
import { registerGroups } from './groups.ts';
import { AdminKit } from './kit.ts';
import { registerOrganization } from './organization.ts';
import { registerPermissionSets } from './permission-sets.ts';
import { registerUsers } from './users.ts';

export async function registerAdmin(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const prefix = pathPrefix(deps.config.publicUrl);
  const kit = new AdminKit(deps, prefix);

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const refused = isDomainError(err, 'invalid_request') || isDomainError(err, 'validation');
    const notFound = isDomainError(err, 'not_found');
    const conflict = isDomainError(err, 'conflict') || isDomainError(err, 'directory_owned');
    const denied = isDomainError(err, 'access_denied');
    const status =
      refused || notFound
        ? 400
        : denied
          ? 403
          : conflict
            ? 409
            : err.statusCode && err.statusCode >= 400 && err.statusCode < 500
              ? err.statusCode
              : 500;
    if (status === 500) request.log.error({ err }, 'admin console error');
    const message =
      refused || conflict || denied
        ? err.message
        : notFound
          ? 'The form names something that does not exist; nothing was changed.'
          : status === 413
            ? `The form is larger than this page takes (${formLimitOf(request) / 1024} KiB); nothing was changed. Go back and send less.`
            : status === 500
              ? 'Something went wrong on our side. Try again in a moment.'
              : 'The request could not be understood.';
    const title =
      status === 500
        ? 'Something went wrong'
        : denied
          ? 'Not allowed'
          : status === 409
            ? 'Not changed'
            : status === 413
              ? 'Too large'
              : 'Bad request';
    return kit.refusal(reply, status, title, message);
  });

  app.addHook('preHandler', refuseUnreadableText);

  app.get('/admin', async (_request, reply) =>
    reply.header('cache-control', 'no-store').redirect(webPath(prefix, '/admin/users'), 303),
  );

  registerUsers(app, kit);
  registerGroups(app, kit);
  registerOrganization(app, kit);
  registerPermissionSets(app, kit);
  registerActivity(app, kit);
}
