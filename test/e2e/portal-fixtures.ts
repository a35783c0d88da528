/**
 * Shared set-up of the access-portal tests: a signed-in browser session made straight in the
 * store (the sign-in pages have their own tests), hostile strings, and helpers to call the
 * portal's JSON endpoints the way portal.js does.
 */
import { createSession } from '../../src/app/auth/sessions.ts';
import type { ServerDeps } from '../../src/app/server-deps.ts';
import { csrfTokenFor, sessionCookieName, sessionOrigin } from '../../src/web/session.ts';

export interface SignedIn {
  sessionId: string;
  token: string;
  cookieName: string;
  /** `Cookie` header value. */
  cookie: string;
  csrf: string;
}

/** A completed portal session for a user, as if they had signed in. */
export async function signIn(
  deps: ServerDeps,
  userId: string,
  options: { ttlMs?: number; userAgent?: string; sourceIp?: string } = {},
): Promise<SignedIn> {
  const s = await deps.ctx.store.db.transaction().execute((trx) =>
    createSession(
      deps.ctx,
      {
        userId,
        origin: sessionOrigin(deps.config),
        mfaDone: true,
        ttlMs: options.ttlMs ?? 8 * 3600_000,
        sourceIp: options.sourceIp ?? '127.0.0.1',
        userAgent:
          options.userAgent ??
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36',
      },
      trx,
    ),
  );
  const cookieName = sessionCookieName(deps.config);
  return {
    sessionId: s.sessionId,
    token: s.token,
    cookieName,
    cookie: `${cookieName}=${s.token}`,
    csrf: csrfTokenFor(s.token),
  };
}

/** POST /start/credentials as the dialog does. */
export function requestCredentials(
  baseUrl: string,
  who: { cookie: string; csrf: string } | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/start/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/json',
      ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Strings that must render as text everywhere. */
export const HOSTILE = {
  script: '<script>window.__pwned=1</script>Prod',
  img: '"><img src=x onerror="window.__pwned=2">',
  quotes: `O'Brien "quoted" & <b>bold</b>`,
  rtl: 'invoice\u202Egpj.exe',
  long: `${'VeryLongAccountName'.repeat(40)}`,
} as const;
