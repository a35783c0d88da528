/**
 * Interactive prompts for `configure sso`: a line prompt in the AWS CLI's `Text [current]: `
 * form with validation, and a searchable arrow-key menu. On a terminal they run in raw mode
 * (Ctrl-C cancels at once, the terminal is always restored); on a pipe they read lines, and the
 * menu takes a number or a search text.
 */
import readline from 'node:readline';
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
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
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

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

class TerminalPrompter implements Prompter {
  private readonly input: PromptInput;
  private readonly output: PromptOutput;
  private listening = false;
  private handler: ((str: string | undefined, key: Key) => void) | undefined;

  constructor(input: PromptInput, output: PromptOutput) {
    this.input = input;
    this.output = output;
  }

  private start(handler: (str: string | undefined, key: Key) => void): void {
    if (!this.listening) {
      readline.emitKeypressEvents(this.input);
      this.listening = true;
    }
    this.handler = handler;
    this.input.setRawMode?.(true);
    this.input.on('keypress', handler);
    this.input.resume();
  }

  private stop(): void {
    if (this.handler) this.input.off('keypress', this.handler);
    this.handler = undefined;
    this.input.setRawMode?.(false);
    this.input.pause();
  }

  close(): void {
    this.stop();
  }

  ask(question: string, validate?: (answer: string) => string | undefined): Promise<string> {
    return new Promise((resolve, reject) => {
      let buf = '';
      this.output.write(question);
      this.start((str, key) => {
        if (key.ctrl && (key.name === 'c' || (key.name === 'd' && buf === ''))) {
          this.stop();
          this.output.write('\n');
          reject(new PromptCancelled());
          return;
        }
        if (key.name === 'return' || key.name === 'enter') {
          const answer = buf.trim();
          const problem = validate?.(answer);
          this.output.write('\n');
          if (problem) {
            this.output.write(`${problem}\n${question}`);
            buf = '';
            return;
          }
          this.stop();
          resolve(answer);
          return;
        }
        if (key.name === 'backspace') {
          if (buf.length > 0) {
            buf = [...buf].slice(0, -1).join('');
            this.output.write('\b \b');
          }
          return;
        }
        if (key.ctrl && key.name === 'u') {
          this.output.write('\b \b'.repeat([...buf].length));
          buf = '';
          return;
        }
        if (key.ctrl || key.meta || key.name === 'escape' || key.name === 'tab') return;
        const text = str ?? key.sequence ?? '';
        // Printable text only (pastes arrive as several keypresses or one string).
        // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point.
        const printable = text.replace(/[\u0000-\u001f\u007f]/g, '');
        if (printable) {
          buf += printable;
          this.output.write(printable);
        }
      });
    });
  }

  select<T>(items: readonly T[], label: (item: T) => string): Promise<T> {
    return new Promise((resolve, reject) => {
      let search = '';
      let shown = [...items];
      let cursor = 0;
      let top = 0;
      let drawn = 0;
      const cols = Math.max(20, (this.output.columns ?? 80) - 1);
      const maxRows = Math.max(3, Math.min(10, (this.output.rows ?? 24) - 4));
      const fit = (s: string) => ([...s].length > cols ? `${[...s].slice(0, cols - 1).join('')}…` : s);
      const render = () => {
        let out = '\r';
        if (drawn > 1) out += `\u001b[${drawn - 1}A`;
        out += '\u001b[J';
        const lines: string[] = [];
        if (cursor < top) top = cursor;
        if (cursor >= top + maxRows) top = cursor - maxRows + 1;
        for (let i = top; i < Math.min(shown.length, top + maxRows); i++) {
          lines.push(fit(`${i === cursor ? '> ' : '  '}${label(shown[i] as T)}`));
        }
        if (shown.length === 0) lines.push('  (no match)');
        const status =
          search || items.length > maxRows
            ? `  ${search ? `search: ${search}  ` : ''}${shown.length ? cursor + 1 : 0}/${shown.length}` +
              (search ? '' : '  (type to search)')
            : '';
        if (status) lines.push(fit(status));
        out += lines.join('\n');
        drawn = lines.length;
        this.output.write(out);
      };
      const finish = () => {
        let out = '\r';
        if (drawn > 1) out += `\u001b[${drawn - 1}A`;
        out += '\u001b[J\u001b[?25h';
        this.output.write(out);
      };
      this.output.write('\u001b[?25l');
      render();
      this.start((str, key) => {
        if (key.ctrl && (key.name === 'c' || key.name === 'd')) {
          finish();
          this.stop();
          reject(new PromptCancelled());
          return;
        }
        if (key.name === 'return' || key.name === 'enter') {
          const chosen = shown[cursor];
          if (chosen === undefined) return;
          finish();
          this.stop();
          this.output.write(`${fit(`> ${label(chosen)}`)}\n`);
          resolve(chosen);
          return;
        }
        const move: Record<string, number> = {
          up: -1,
          down: 1,
          pageup: -maxRows,
          pagedown: maxRows,
          home: -Infinity,
          end: Infinity,
        };
        if (
          key.name &&
          key.name in move &&
          !(key.name === 'home' && search) &&
          !(key.name === 'end' && search)
        ) {
          const delta = move[key.name] as number;
          if (shown.length) cursor = Math.max(0, Math.min(shown.length - 1, cursor + delta));
          render();
          return;
        }
        if (key.name === 'backspace') {
          search = [...search].slice(0, -1).join('');
        } else if (key.name === 'escape') {
          search = '';
        } else if (!key.ctrl && !key.meta) {
          const text = str ?? '';
          // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point.
          const printable = text.replace(/[\u0000-\u001f\u007f]/g, '');
          if (!printable) return;
          search += printable;
        } else {
          return;
        }
        shown = filterItems(items, label, search);
        cursor = 0;
        top = 0;
        render();
      });
    });
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
