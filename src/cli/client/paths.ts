/**
 * Where AWS clients keep their files (docs/client-files.md, "File locations"): the shared config
 * file, the SSO token and registration cache, and the CLI's role-credential cache.
 */
import os from 'node:os';
import path from 'node:path';

/** The home directory as the JS SDK finds it: HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the OS. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  if (env.HOME) return env.HOME;
  if (env.USERPROFILE) return env.USERPROFILE;
  if (env.HOMEPATH) return `${env.HOMEDRIVE ?? 'C:'}${env.HOMEPATH}`;
  return os.homedir();
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeDir(env);
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(homeDir(env), p.slice(2));
  return p;
}

/** `AWS_CONFIG_FILE`, else `~/.aws/config`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  const override = env.AWS_CONFIG_FILE;
  return override ? path.resolve(expandHome(override, env)) : path.join(homeDir(env), '.aws', 'config');
}

/** `~/.aws/sso/cache`: tokens and client registrations, shared with botocore and the JS SDK. */
export function ssoCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(homeDir(env), '.aws', 'sso', 'cache');
}

/** `~/.aws/cli/cache`: role credentials, in the AWS CLI v2 layout. */
export function cliCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(homeDir(env), '.aws', 'cli', 'cache');
}

/** Show a path with the home directory as `~`, for messages. */
export function displayPath(p: string, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  return p === home || p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p;
}
