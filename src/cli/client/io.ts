/**
 * What the client commands touch outside themselves, passed in explicitly so tests can drive
 * them: environment, terminal streams, time, sleeping, the debug trace and colour.
 */

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ClientIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Wire trace for --debug; secrets are redacted before they get here. */
  debug(message: string): void;
  readonly debugEnabled: boolean;
}

export interface ProcessIOOptions {
  debug?: boolean;
}

/** The real process: its environment, stdout/stderr, clock and a debug trace on stderr. */
export function processIO(options: ProcessIOOptions = {}): ClientIO {
  const debugEnabled = Boolean(options.debug) || Boolean(process.env.IDCENTER_DEBUG);
  const dim = useColour(process.stderr, process.env)
    ? (s: string) => `\u001b[2m${s}\u001b[22m`
    : (s: string) => s;
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    debugEnabled,
    debug: debugEnabled
      ? (message) => {
          for (const line of message.split('\n')) process.stderr.write(`${dim(`debug: ${line}`)}\n`);
        }
      : () => {},
  };
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: OutStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

export interface Paint {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

export function paint(stream: OutStream, env: NodeJS.ProcessEnv): Paint {
  if (!useColour(stream, env)) {
    const id = (s: string) => s;
    return { bold: id, red: id, green: id, yellow: id, dim: id };
  }
  const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
  return {
    bold: wrap(1, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
  };
}
