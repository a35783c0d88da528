/**
 * The loopback listener of the authorization-code flow (RFC 8252 §7.3): it waits on
 * 127.0.0.1 (random port) for the browser's redirect, answers with a small "you can close this
 * tab" page, and hands back the code once the state matches (docs/wire-protocols.md, "The authorize
 * endpoint").
 */
import http from 'node:http';
import { CliError } from '../errors.ts';
import { VERSION } from '../version.ts';

export const PENDING_EXPIRED =
  'The pending authorization to retrieve an SSO token has expired. The login flow to retrieve an SSO token must be restarted.';

export interface CallbackServer {
  port: number;
  /** `http://127.0.0.1:<port>/oauth/callback`, sent to /authorize and CreateToken. */
  redirectUri: string;
  /** Wait for the redirect; resolves with the code, rejects on error, state mismatch or timeout. */
  waitForCode(expectedState: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

function page(title: string, message: string): string {
  const esc = (s: string) =>
    s.replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
    );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1f24;background:#fff}@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#16181d}}h1{font-size:1.4rem}</style></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  let settle: ((r: { code?: string; state?: string; error?: string }) => void) | undefined;
  let early: { code?: string; state?: string; error?: string } | undefined;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const headers = {
      Server: `idcenter/${VERSION}`,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
      Connection: 'close',
    };
    if (req.method !== 'GET' || (!q.has('error') && !(q.has('code') && q.has('state')))) {
      res.writeHead(404, headers);
      res.end(page('Not found', 'This address only receives the sign-in redirect for the idcenter CLI.'));
      return;
    }
    const outcome = q.has('error')
      ? { error: q.get('error_description') || (q.get('error') as string) }
      : { code: q.get('code') as string, state: q.get('state') as string };
    res.writeHead(200, headers);
    res.end(
      outcome.error
        ? page(
            'Sign-in was not completed',
            `The request was not approved: ${outcome.error}. Return to the terminal.`,
          )
        : page(
            'Signed in',
            'Your credentials have been shared with the idcenter CLI. You can close this tab.',
          ),
    );
    if (settle) settle(outcome);
    else early ??= outcome;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new CliError(
          `Unable to initialize the OAuth 2.0 authorization callback handler: ${err.message}. ` +
            'You may use --use-device-code to fall back to the device code flow which does not require the callback handler.',
          255,
        ),
      ),
    );
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  return {
    port,
    redirectUri: `http://127.0.0.1:${port}/oauth/callback`,
    waitForCode(expectedState, timeoutMs = 10 * 60_000) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new CliError(PENDING_EXPIRED, 255)), timeoutMs);
        settle = (r) => {
          clearTimeout(timer);
          if (r.error !== undefined || r.code === undefined) {
            reject(
              new CliError(
                'Error loading authorization code: Failed to retrieve an authorization code.',
                255,
              ),
            );
          } else if (r.state !== expectedState) {
            reject(
              new CliError(
                'Error loading authorization code: State parameter does not match expected value.',
                255,
              ),
            );
          } else {
            resolve(r.code);
          }
        };
        if (early) settle(early);
      });
    },
    close,
  };
}
