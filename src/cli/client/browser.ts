/**
 * Opening the default browser: `BROWSER` (a colon-separated list of commands, `%s` for the URL,
 * as Python's webbrowser reads it), else `open` on macOS, `rundll32 url.dll,FileProtocolHandler`
 * on Windows, `xdg-open` on a Linux desktop. Without any of these there is no browser to open.
 *
 * The URL comes from a server (the verification or authorization URL), so it is untrusted text:
 * only an `http:` or `https:` URL without credentials is opened, in its normalised form (URL
 * parsing percent-encodes spaces, quotes and angle brackets), and always as one argument of a
 * program started without a shell. Windows used to go through `cmd /c start`, where `|`, `&` or
 * `^` in the URL are command syntax; `rundll32` is a program, not a shell.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface Launcher {
  command: string;
  args: string[];
}

/** How a launcher is started (`child_process.spawn` unless a test gives another). */
export type Spawner = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

/** Where the browser is opened: the platform and the program starter; defaults are this process's. */
export interface BrowserHost {
  platform?: NodeJS.Platform;
  spawner?: Spawner;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

/**
 * The URL as it may be handed to a browser, or null: `http:` or `https:` only (never `file:`,
 * `javascript:` or a custom scheme a desktop would hand to another program), no user name or
 * password (which can disguise the host), in the parser's normalised form.
 */
export function openableUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.username !== '' || u.password !== '') return null;
  return u.href;
}

function launchers(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Launcher[] {
  if (env.BROWSER) {
    return env.BROWSER.split(':')
      .map((c) => c.trim())
      .filter(Boolean)
      .map((c) => {
        const parts = c.split(/\s+/);
        const args = parts.slice(1);
        // A function replacer: `$&` or `$'` in the URL must not act as replacement patterns.
        const withUrl = c.includes('%s') ? args.map((a) => a.replace('%s', () => url)) : [...args, url];
        return { command: parts[0] as string, args: withUrl };
      });
  }
  if (platform === 'darwin') return [{ command: 'open', args: [url] }];
  if (platform === 'win32') return [{ command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] }];
  if ((env.DISPLAY || env.WAYLAND_DISPLAY) && onPath('xdg-open', env))
    return [{ command: 'xdg-open', args: [url] }];
  return [];
}

/** Whether this machine has a browser we could open (decides the flow before printing). */
export function canOpenBrowser(env: NodeJS.ProcessEnv, host: BrowserHost = {}): boolean {
  return launchers('x', env, host.platform ?? process.platform).length > 0;
}

/**
 * Try to open the URL; true if a launcher started. Failures are not errors, and a URL that is
 * not `http(s)` is not opened at all (false).
 */
export async function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv,
  host: BrowserHost = {},
): Promise<boolean> {
  const safe = openableUrl(url);
  if (safe === null) return false;
  const start = host.spawner ?? spawn;
  for (const l of launchers(safe, env, host.platform ?? process.platform)) {
    const ok = await new Promise<boolean>((resolve) => {
      try {
        const child = start(l.command, l.args, {
          detached: true,
          stdio: 'ignore',
          env,
          shell: false,
          windowsHide: true,
        });
        child.once('error', () => resolve(false));
        child.once('spawn', () => {
          child.unref();
          resolve(true);
        });
      } catch {
        resolve(false);
      }
    });
    if (ok) return true;
  }
  return false;
}
