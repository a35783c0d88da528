/**
 * Duration flags of the commands (`--older-than`…), in the forms `domain/duration.ts` accepts.
 */
import { parseDuration } from '../domain/duration.ts';
import { CliError } from './errors.ts';

/**
 * The flag's value in milliseconds. A value that is not a duration is a syntax error (exit 252)
 * whose message shows what to write instead.
 *
 * @example durationFlagMs('--older-than', '400d', '400d, 90d, 12h or P400D') // 34560000000
 */
export function durationFlagMs(flag: string, value: string, examples: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    throw new CliError(`${flag}: "${value}" is not a duration; write e.g. ${examples}`, 252);
  }
  return seconds * 1000;
}
