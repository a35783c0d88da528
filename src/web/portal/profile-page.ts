/**
 * The profile page: the person's directory details, their MFA devices (enrolment and removal
 * are the sign-in area's pages under `/mfa/…`; this page links to them), their active portal
 * sessions with a sign-out button for each, and "Sign out everywhere". Works without script;
 * `static/profile.js` only rewrites the times into the person's time zone.
 */
import type { ProfileDevice, ProfileUser } from '../../app/profile.ts';
import type { SessionInfo } from '../../app/sessions.ts';
import { csrfField } from '../csrf.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';
import type { PortalSessionInfo } from '../session.ts';
import { displayText } from '../text.ts';

/** Where the sign-in area serves MFA enrolment, and the status page with the removal form. */
export const MFA_ENROLL_PATH = '/mfa/enroll';
export const MFA_MANAGE_PATH = '/mfa';

/** A time the browser rewrites into the person's zone; UTC text until then (and without script). */
function when(ms: number): Html {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" data-local>${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** "Chrome on Linux" from a user-agent string; the raw string is shown as a tooltip. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return 'Unknown browser';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl|python|botocore|aws-cli|node/i.test(ua)
              ? 'Command line'
              : 'Browser';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X|Macintosh/.test(ua)
        ? 'macOS'
        : /Android/.test(ua)
          ? 'Android'
          : /Linux|X11/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

export interface ProfileInput {
  /** The public URL's path prefix (`pathPrefix`). */
  prefix: string;
  session: PortalSessionInfo;
  user: ProfileUser;
  devices: ProfileDevice[];
  sessions: SessionInfo[];
  /** The instance requires MFA: a device cannot be removed by its owner. */
  requireMfa: boolean;
  notice?: string | undefined;
  /** The person is an administrator: the page links to the admin console. */
  administrator?: boolean;
}

export function profileBody(p: ProfileInput): Html {
  const to = (path: string) => webPath(p.prefix, path);
  const u = p.user;
  const name = displayText([u.givenName, u.familyName].filter((s) => s).join(' '), 256);
  return html`<h1>Profile</h1>
    ${p.administrator ? html`<p><a href="${to('/admin')}">Open the admin console</a></p>` : ''}
    ${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}
    <section class="card" aria-labelledby="details-h">
      <h2 id="details-h">Your details</h2>
      <dl class="details">
        <dt>User name</dt>
        <dd><bdi>${displayText(u.userName, 256)}</bdi></dd>
        <dt>Display name</dt>
        <dd><bdi>${displayText(u.displayName, 256)}</bdi></dd>
        ${name ? html`<dt>Name</dt><dd><bdi>${name}</bdi></dd>` : ''}
        <dt>Email</dt>
        <dd>${u.email ? html`<bdi>${displayText(u.email, 256)}</bdi>` : html`<span class="muted">none</span>`}</dd>
        <dt>User ID</dt>
        <dd class="mono">${u.userId}</dd>
        <dt>Managed in</dt>
        <dd>${
          u.directoryDn === null
            ? 'this server'
            : html`your organization's directory (<bdi class="mono">${displayText(u.directoryDn, 512)}</bdi>); change your details and password there`
        }</dd>
      </dl>
    </section>

    <section class="card" aria-labelledby="mfa-h">
      <h2 id="mfa-h">Multi-factor authentication</h2>
      ${
        p.devices.length === 0
          ? html`<p>You have no MFA device. Add an authenticator app so a stolen password is not enough to sign in as you.</p>`
          : html`<table class="data stack">
              <caption class="visually-hidden">Your MFA devices</caption>
              <thead><tr><th scope="col">Device</th><th scope="col">Type</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                ${p.devices.map(
                  (d) => html`<tr>
                    <td data-label="Device"><bdi>${displayText(d.label, 64)}</bdi></td>
                    <td data-label="Type">${d.kind === 'TOTP' ? 'Authenticator app (TOTP)' : d.kind}</td>
                    <td data-label="Added">${when(d.confirmedAt)}</td>
                    <td class="nowrap">${
                      p.requireMfa
                        ? html`<span class="muted">Required by your organization</span>`
                        : html`<a class="button secondary small" href="${to(MFA_MANAGE_PATH)}">Remove<span class="visually-hidden"> ${displayText(d.label, 64)}</span></a>`
                    }</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${p.devices.length === 0 ? html`<div class="actions"><a class="button" href="${to(MFA_ENROLL_PATH)}">Add an authenticator app</a></div>` : ''}
    </section>

    <section class="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Active sessions</h2>
      <p class="muted">
        Each browser where you are signed in. Signing a session out also ends the command-line
        sign-ins made through it and stops the credentials it issued.
      </p>
      <table class="data stack">
        <caption class="visually-hidden">Your active sessions</caption>
        <thead>
          <tr><th scope="col">Browser</th><th scope="col">IP address</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col">Expires</th><th scope="col">CLI sign-ins</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          ${p.sessions.map((s) => {
            const current = s.sessionId === p.session.sessionId;
            return html`<tr data-session="${s.sessionId}">
              <td data-label="Browser"><span title="${displayText(s.userAgent ?? '', 256)}">${describeUserAgent(s.userAgent)}</span>
                ${current ? html` <span class="badge">This browser</span>` : ''}</td>
              <td data-label="IP address" class="mono nowrap">${s.sourceIp ?? 'unknown'}</td>
              <td data-label="Signed in">${when(s.createdAt)}</td>
              <td data-label="Last active">${when(s.lastSeenAt)}</td>
              <td data-label="Expires">${when(s.expiresAt)}</td>
              <td data-label="CLI sign-ins">${s.cliSignIns}</td>
              <td class="nowrap">
                <form method="post" action="${to('/profile/sessions/revoke')}" class="inline">
                  ${csrfField(p.session)}
                  <input type="hidden" name="session" value="${s.sessionId}">
                  <button type="submit" class="secondary small">Sign out<span class="visually-hidden"> ${current ? 'this browser' : `the session from ${describeUserAgent(s.userAgent)}`}</span></button>
                </form>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      <form method="post" action="${to('/profile/sessions/revoke-all')}" class="actions">
        ${csrfField(p.session)}
        <button type="submit" class="danger">Sign out everywhere</button>
      </form>
    </section>`;
}
