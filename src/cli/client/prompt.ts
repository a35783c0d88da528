/**
 * Interactive prompts for `configure sso`: a line prompt in the AWS CLI's `Text [current]: `
 * form with validation, and a searchable menu.
 *
 * On a terminal both are @inquirer/prompts (`input` and `search`), themed to look like the AWS
 * CLI's: no `?` in front, `>` for the chosen item. Ctrl-C, or Ctrl-D on an empty line, cancels.
 *
 * On a pipe they read lines instead (the menu takes a number or a search text), as the AWS CLI
 * does. Inquirer cannot serve a pipe: it reads keys, and when several answers arrive in one chunk
 * the first prompt swallows them all, so every later prompt waits forever; at the end of the
 * input its prompt never settles and the process ends with status 0 instead of cancelling.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from '../errors.ts';

export const EXIT_INTERRUPTED = 130;

export class PromptCancelled extends CliError {
  constructor() {
    super('cancelled; the config file was not changed.', EXIT_INTERRUPTED);
    this.name = 'PromptCancelled';
  }
}

export interface Prompter {
  /**
   * Print `question` and read an answer (trimmed). `validate` returns an error message to show
   * before asking again, or undefined to accept.
   */
  ask(question: string, validate?: (answer: string) => string | undefined): Promise<string>;
  /** Pick one item; the list is searchable by typing. */
  select<T>(items: readonly T[], label: (item: T) => string): Promise<T>;
  close(): void;
}

export interface PromptInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface PromptOutput {
  write(text: string | Uint8Array): unknown;
  isTTY?: boolean;
  rows?: number;
}

export function createPrompter(input: PromptInput, output: PromptOutput): Prompter {
  return input.isTTY && typeof input.setRawMode === 'function'
    ? new TerminalPrompter(input, output)
    : new LinePrompter(input, output);
}

/** Items whose label contains every word of the search text, case-insensitively. */
export function filterItems<T>(items: readonly T[], label: (item: T) => string, search: string): T[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...items];
  return items.filter((it) => {
    const l = label(it).toLowerCase();
    return words.every((w) => l.includes(w));
  });
}

/**
 * Inquirer's look made the AWS CLI's: the question as it is, errors without a marker, `>` as the
 * cursor, and a refused answer cleared as the AWS CLI clears it. Inquirer prints
 * `prefix message answer` joined by spaces; its prefix is a `?`, and an empty one would still
 * leave a space in front, so the question's first word is the prefix and the rest the message.
 */
function themed(question: string) {
  const text = question.trimEnd();
  const space = text.indexOf(' ');
  const prefix = space === -1 ? text : text.slice(0, space);
  return {
    message: space === -1 ? '' : text.slice(space + 1),
    theme: {
      prefix: { idle: prefix, done: prefix },
      style: { message: (m: string) => m, error: (m: string) => m },
      icon: { cursor: '>' },
      validationFailureMode: 'clear' as const,
    },
  };
}

/** Erase to the end of the line: invisible, and not white space that a trim would remove. */
const KEEP_SPACE = '\u001b[K';

function isInquirerCancel(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

class TerminalPrompter implements Prompter {
  private readonly input: PromptInput;
  private readonly output: PromptOutput;
  private current: AbortController | undefined;

  constructor(input: PromptInput, output: PromptOutput) {
    this.input = input;
    this.output = output;
  }

  close(): void {
    this.current?.abort();
  }

  /**
   * Run one inquirer prompt: Ctrl-C (inquirer's ExitPromptError), close() and Ctrl-D on an empty
   * line become PromptCancelled. Readline ends its line on that Ctrl-D and pauses the input, and
   * the prompt would then never settle; the pause is the sign. Inquirer ends the output stream it
   * is given unless it is the process's own, so it gets one that only forwards.
   */
  private async run<R>(
    prompt: (context: { input: PromptInput; output: Writable; signal: AbortSignal }) => Promise<R>,
  ): Promise<R> {
    const controller = new AbortController();
    this.current = controller;
    const onPause = () => controller.abort();
    this.input.once('pause', onPause);
    const output = new Writable({
      write: (chunk, _encoding, done) => {
        this.output.write(chunk);
        done();
      },
    });
    try {
      return await prompt({ input: this.input, output, signal: controller.signal });
    } catch (err) {
      if (isInquirerCancel(err)) throw new PromptCancelled();
      throw err;
    } finally {
      this.input.off('pause', onPause);
      this.current = undefined;
    }
  }

  async ask(question: string, validate?: (answer: string) => string | undefined): Promise<string> {
    const { input } = (await import('./inquirer.ts')).prompts;
    const answer = await this.run((context) =>
      input(
        {
          ...themed(question),
          // Inquirer trims the line it draws; this keeps the space after the question.
          transformer: (value, { isFinal }) => `${KEEP_SPACE}${isFinal ? value.trim() : value}`,
          validate: (value) => validate?.(value.trim()) ?? true,
        },
        context,
      ),
    );
    return answer.trim();
  }

  async select<T>(items: readonly T[], label: (item: T) => string): Promise<T> {
    const { search } = (await import('./inquirer.ts')).prompts;
    const choices = items.map((item, i) => ({ value: i, name: label(item) }));
    const pageSize = Math.max(3, Math.min(10, (this.output.rows ?? 24) - 4));
    const index = await this.run((context) =>
      search(
        {
          ...themed('Type to search:'),
          pageSize,
          source: (term) => filterItems(choices, (c) => c.name, term ?? ''),
        },
        { ...context, clearPromptOnDone: true },
      ),
    );
    const chosen = items[index] as T;
    this.output.write(`> ${label(chosen)}\n`);
    return chosen;
  }
}

class LinePrompter implements Prompter {
  private readonly output: PromptOutput;
  private readonly rl: readline.Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(input: PromptInput, output: PromptOutput) {
    this.output = output;
    this.rl = readline.createInterface({ input, terminal: false });
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else {
        this.lines.push(line);
      }
    });
    this.rl.on('close', () => {
      this.ended = true;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(undefined);
      }
    });
  }

  private next(): Promise<string | undefined> {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  close(): void {
    this.rl.close();
  }

  async ask(question: string, validate?: (answer: string) => string | undefined): Promise<string> {
    for (;;) {
      this.output.write(question);
      const line = await this.next();
      if (line === undefined) {
        this.output.write('\n');
        throw new PromptCancelled();
      }
      const answer = line.trim();
      if (!this.output.isTTY) this.output.write('\n');
      const problem = validate?.(answer);
      if (!problem) return answer;
      this.output.write(`${problem}\n`);
    }
  }

  async select<T>(items: readonly T[], label: (item: T) => string): Promise<T> {
    let shown = [...items];
    for (;;) {
      shown.forEach((it, i) => {
        this.output.write(
          `${i === 0 ? '>' : ' '} ${String(i + 1).padStart(String(shown.length).length)}) ${label(it)}\n`,
        );
      });
      const answer = await this.ask(`Choose 1-${shown.length} or type to search [1]: `);
      if (answer === '') return shown[0] as T;
      if (/^\d+$/.test(answer)) {
        const n = Number(answer);
        if (n >= 1 && n <= shown.length) return shown[n - 1] as T;
        this.output.write(`Choose a number from 1 to ${shown.length}.\n`);
        continue;
      }
      const matches = filterItems(shown, label, answer);
      if (matches.length === 1) return matches[0] as T;
      if (matches.length === 0) {
        this.output.write(`Nothing matches "${answer}".\n`);
        shown = [...items];
      } else {
        shown = matches;
      }
    }
  }
}
