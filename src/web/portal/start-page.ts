/**
 * The access portal's start page (docs/behaviour.md, "Access portal"): a server-rendered shell
 * that paints at once — tabs "Accounts" and "Applications", the search box, an empty list —
 * plus the static markup of the credentials dialog. `static/portal.js` fills the list from
 * `GET /start/access.json` (every account and role in one response) and the dialog from
 * `POST /start/credentials`; a role of an account whose console can be signed in to links to
 * `/start/console`. Nothing personal is in this markup except the CSRF token, so the
 * shell itself is cheap and the data never passes through HTML string building.
 */
import { clientInstallCommand } from '../client-download.ts';
import { type Html, html } from '../html.ts';
import { webPath } from '../paths.ts';

export interface StartPageInput {
  /** The public URL's path prefix (`pathPrefix`). */
  prefix: string;
  csrfToken: string;
  startUrl: string;
  region: string;
  publicUrl: string;
}

export function startPageBody(input: StartPageInput): Html {
  const to = (path: string) => webPath(input.prefix, path);
  // The list's data starts loading with the stylesheets, not after the script runs.
  return html`<link rel="preload" href="${to('/start/access.json')}" as="fetch" crossorigin="anonymous" />
    <div
      id="portal"
      class="portal"
      data-csrf="${input.csrfToken}"
      data-access-url="${to('/start/access.json')}"
      data-credentials-url="${to('/start/credentials')}"
      data-console-url="${to('/start/console')}"
      data-signin-url="${to('/start')}"
    >
      <h1>AWS access portal</h1>
      <div class="tabs" role="tablist" aria-label="Portal sections" data-tabs="portal">
        <button type="button" role="tab" id="tab-accounts" aria-controls="panel-accounts" aria-selected="true">
          Accounts
        </button>
        <button
          type="button"
          role="tab"
          id="tab-applications"
          aria-controls="panel-applications"
          aria-selected="false"
          tabindex="-1"
        >
          Applications
        </button>
      </div>
      <section id="panel-accounts" role="tabpanel" aria-labelledby="tab-accounts" class="tabpanel">
        <div class="toolbar">
          <label for="account-filter" class="visually-hidden">Search accounts</label>
          <input
            type="search"
            id="account-filter"
            placeholder="Search by account name, ID or email"
            autocomplete="off"
            spellcheck="false"
            aria-describedby="account-status"
            aria-controls="account-list"
            disabled
          />
        </div>
        <p id="account-status" class="muted status" role="status">Loading accounts…</p>
        <noscript><p class="error">The account list needs JavaScript. Use the idcenter CLI or the AWS CLI
          (<code>aws configure sso</code>) instead.</p></noscript>
        <ul id="account-list" class="accounts" aria-label="AWS accounts"></ul>
        <div id="account-more" class="more" hidden>
          <button type="button" class="secondary">Show more</button>
        </div>
      </section>
      <section id="panel-applications" role="tabpanel" aria-labelledby="tab-applications" class="tabpanel" hidden>
        <p class="muted">No applications are assigned to you.</p>
      </section>
      <div id="portal-live" class="visually-hidden" aria-live="polite"></div>
    </div>
    ${credentialsDialog(input)}`;
}

interface OsTab {
  id: 'unix' | 'windows' | 'powershell';
  label: string;
  envHelp: string;
  fileHelp: Html;
  configHelp: Html;
}

const OS_TABS: OsTab[] = [
  {
    id: 'unix',
    label: 'macOS and Linux',
    envHelp: 'Paste these lines into your terminal. They apply to that shell until it closes.',
    fileHelp: html`Paste this into <code>~/.aws/credentials</code>, then use it with
      <code>--profile</code> and the name in brackets.`,
    configHelp: html`These credentials work only with this server: also paste this into
      <code>~/.aws/config</code>, so the profile's region and STS calls go here.`,
  },
  {
    id: 'windows',
    label: 'Windows',
    envHelp: 'Paste these lines into a Command Prompt window. They apply to that window until it closes.',
    fileHelp: html`Paste this into <code>%USERPROFILE%\\.aws\\credentials</code>, then use it with
      <code>--profile</code> and the name in brackets.`,
    configHelp: html`These credentials work only with this server: also paste this into
      <code>%USERPROFILE%\\.aws\\config</code>, so the profile's region and STS calls go here.`,
  },
  {
    id: 'powershell',
    label: 'PowerShell',
    envHelp: 'Paste these lines into PowerShell. They apply to that session until it closes.',
    fileHelp: html`Paste this into <code>$HOME\\.aws\\credentials</code>, then use it with
      <code>--profile</code> and the name in brackets.`,
    configHelp: html`These credentials work only with this server: also paste this into
      <code>$HOME\\.aws\\config</code>, so the profile's region and STS calls go here.`,
  },
];

/** A value with its copy button; `name` is the data-field portal.js fills. */
function copyable(name: string, label: string, opts: { block?: boolean; value?: string } = {}): Html {
  const value = opts.value ?? '';
  return html`<div class="copyable" data-copy-scope>
    ${opts.block ? html`<pre class="value" data-field="${name}">${value}</pre>` : html`<code class="value" data-field="${name}">${value}</code>`}
    <button type="button" class="copy secondary" data-copy="${name}" aria-label="Copy ${label}">Copy</button>
  </div>`;
}

function osPanel(tab: OsTab): Html {
  return html`<section
    id="os-panel-${tab.id}"
    role="tabpanel"
    aria-labelledby="os-tab-${tab.id}"
    class="os-panel"
    ${tab.id === 'unix' ? '' : html`hidden`}
  >
    <h3>Option 1: Set AWS environment variables</h3>
    <p class="muted">${tab.envHelp}</p>
    ${copyable(`env-${tab.id}`, `environment variables for ${tab.label}`, { block: true })}
    <h3>Option 2: Add a profile to your AWS credentials file</h3>
    <p class="muted">${tab.fileHelp}</p>
    ${copyable('profile', `credentials file profile for ${tab.label}`, { block: true })}
    <div data-local-only hidden>
      <p class="muted">${tab.configHelp}</p>
      ${copyable('config-profile', `config file profile for ${tab.label}`, { block: true })}
    </div>
    <h3>Option 3: Use individual values in your AWS service client</h3>
    <dl class="values">
      <dt>AWS access key ID</dt>
      <dd>${copyable('access-key-id', 'AWS access key ID')}</dd>
      <dt>AWS secret access key</dt>
      <dd>${copyable('secret-access-key', 'AWS secret access key')}</dd>
      <dt>AWS session token</dt>
      <dd>${copyable('session-token', 'AWS session token', { block: true })}</dd>
      <dt data-local-only hidden>STS endpoint URL</dt>
      <dd data-local-only hidden>${copyable('sts-endpoint', 'STS endpoint URL')}</dd>
      <dt data-local-only hidden>Region</dt>
      <dd data-local-only hidden>${copyable('region', 'Region')}</dd>
    </dl>
  </section>`;
}

/**
 * The `idcenter configure sso` line shown in the dialog: it asks for the start URL and region
 * shown above, signs in, and writes the profile with this server's endpoints. The client it runs
 * is installed from this server (`clientInstallCommand`), never fetched from a registry by name.
 */
export function configureSsoCommand(input: { publicUrl: string }): string {
  return `idcenter configure sso --endpoint-url ${input.publicUrl}`;
}

function credentialsDialog(input: StartPageInput): Html {
  return html`<dialog id="cred-dialog" class="cred-dialog" aria-labelledby="cred-title" aria-describedby="cred-sub">
    <div class="dialog-inner">
      <div class="dialog-head">
        <h2 id="cred-title">Get credentials for <bdi data-field="role"></bdi></h2>
        <button type="button" class="close secondary" data-close aria-label="Close">Close</button>
      </div>
      <p id="cred-sub" class="muted">
        Account <bdi data-field="account-name"></bdi> (<span data-field="account-id"></span>)
      </p>
      <p data-state="loading" class="muted">Getting credentials…</p>
      <div data-state="error" hidden>
        <p class="error" role="alert" data-field="error"></p>
        <p><a href="${webPath(input.prefix, '/start')}" data-signin hidden>Sign in again</a></p>
      </div>
      <div data-state="ready" hidden>
        <section class="recommended">
          <h3>AWS IAM Identity Center credentials (Recommended)</h3>
          <p class="muted">
            Configure the AWS CLI once with <code>aws configure sso</code> and these values; it then gets
            and renews credentials for you.
          </p>
          <dl class="values">
            <dt>SSO start URL</dt>
            <dd>${copyable('start-url', 'SSO start URL', { value: input.startUrl })}</dd>
            <dt>SSO Region</dt>
            <dd>${copyable('sso-region', 'SSO Region', { value: input.region })}</dd>
          </dl>
          <p class="muted">
            Or with the idcenter client, which asks for these values and also points the AWS tools at this
            server. Install it once from this server (Node.js 20 or newer;
            <a href="${webPath(input.prefix, '/client')}">other ways</a>):
          </p>
          ${copyable('install-command', 'idcenter client install command', { block: true, value: clientInstallCommand(input.publicUrl) })}
          <p class="muted">then run:</p>
          ${copyable('configure-command', 'idcenter configure sso command', { block: true, value: configureSsoCommand(input) })}
        </section>
        <p class="expiry">
          Valid until <time data-field="expires"></time> · <span data-field="countdown" class="countdown"></span>
          <button type="button" class="secondary" data-refresh data-expired hidden>Get new credentials</button>
        </p>
        <div class="tabs os-tabs" role="tablist" aria-label="Operating system" data-tabs="os">
          ${OS_TABS.map(
            (t, i) =>
              html`<button
                type="button"
                role="tab"
                id="os-tab-${t.id}"
                data-os="${t.id}"
                aria-controls="os-panel-${t.id}"
                aria-selected="${i === 0 ? 'true' : 'false'}"
                tabindex="${i === 0 ? '0' : '-1'}"
              >${t.label}</button>`,
          )}
        </div>
        ${OS_TABS.map(osPanel)}
      </div>
    </div>
  </dialog>`;
}
