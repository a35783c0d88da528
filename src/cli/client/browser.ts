/**
 * Opening the default browser: `BROWSER` (a colon-separated list of commands, `%s` for the URL,
 * as Python's webbrowser reads it), else `open` on macOS, `start` on Windows, `xdg-open` on a
 * Linux desktop. Without any of these there is no browser to open.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface Launcher {
  command: string;
  args: string[];
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

function launchers(url: string, env: NodeJS.ProcessEnv): Launcher[] {
  if (env.BROWSER) {
    return env.BROWSER.split(':')
      .map((c) => c.trim())
      .filter(Boolean)
      .map((c) => {
        const parts = c.split(/\s+/);
        const args = parts.slice(1);
        const withUrl = c.includes('%s') ? args.map((a) => a.replace('%s', url)) : [...args, url];
        return { command: parts[0] as string, args: withUrl };
      });
  }
  if (process.platform === 'darwin') return [{ command: 'open', args: [url] }];
  if (process.platform === 'win32')
    return [{ command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] }];
  if ((env.DISPLAY || env.WAYLAND_DISPLAY) && onPath('xdg-open', env))
    return [{ command: 'xdg-open', args: [url] }];
  return [];
}

/** Whether this machine has a browser we could open (decides the flow before printing). */
export function canOpenBrowser(env: NodeJS.ProcessEnv): boolean {
  return launchers('x', env).length > 0;
}

/** Try to open the URL; true if a launcher started. Failures are not errors. */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const l of launchers(url, env)) {
    const ok = await new Promise<boolean>((resolve) => {
      try {
        const child = spawn(l.command, l.args, { detached: true, stdio: 'ignore', env });
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
