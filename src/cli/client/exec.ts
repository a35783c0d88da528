/**
 * `idcenter exec --profile P -- CMD …`: run a command with the profile's role credentials in its
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_CREDENTIAL_EXPIRATION, and the profile's region), and exit with its exit code.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CliError } from '../errors.ts';
import { credentialEnv, type ExportableCredentials } from './export-formats.ts';

export interface ExecOptions {
  region?: string | undefined;
  /** Endpoint the profile configures for STS, passed on so tools in the child reach it too. */
  stsEndpoint?: string | undefined;
  profileName: string;
}

/** The child's environment: ours minus profile selection and stale keys, plus the credentials. */
export function execEnv(
  base: NodeJS.ProcessEnv,
  creds: ExportableCredentials,
  options: ExecOptions,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A profile in the environment would make SDKs (the JS SDK especially) ignore the keys below.
  for (const k of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_SESSION_TOKEN',
    'AWS_SECURITY_TOKEN',
    'AWS_CREDENTIAL_EXPIRATION',
  ]) {
    delete env[k];
  }
  Object.assign(env, credentialEnv(creds));
  if (options.region) {
    env.AWS_REGION = options.region;
    env.AWS_DEFAULT_REGION = options.region;
  }
  if (options.stsEndpoint && !env.AWS_ENDPOINT_URL_STS && !env.AWS_ENDPOINT_URL) {
    env.AWS_ENDPOINT_URL_STS = options.stsEndpoint;
  }
  env.IDCENTER_EXEC_PROFILE = options.profileName;
  return env;
}

/** Run the command; resolves with the exit code to use (128+signal when it was killed). */
export function runCommand(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...args] = command;
  if (!file)
    return Promise.reject(
      new CliError('exec needs a command after --, e.g. idcenter exec --profile dev -- aws s3 ls', 252),
    );
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => () => {
      child.kill(sig);
    };
    const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [
      s,
      forward(s),
    ]);
    for (const [s, h] of handlers) process.on(s, h);
    const cleanup = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new CliError(
          err.code === 'ENOENT' ? `command not found: ${file}` : `cannot run ${file}: ${err.message}`,
          err.code === 'ENOENT' ? 127 : 126,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (signal) resolve(128 + ((constants.signals as Record<string, number>)[signal] ?? 1));
      else resolve(code ?? 0);
    });
  });
}
