/**
 * Text arguments of the administration commands (user names, session ids) reach the store and
 * the terminal: one with a control character is refused before the store is opened, with exit
 * code 252 (a bad argument), and is never printed back. Bytes that are not UTF-8 reach Node as
 * U+FFFD already, so such an argument names no user and the command says so.
 */
import { faultMessage, textFault } from '../domain/wire-text.ts';
import { CliError } from './errors.ts';

/**
 * `value` when it is clean text; otherwise a CliError naming `what`.
 *
 * @example textArgument('the user name', 'alice') // 'alice'
 */
export function textArgument(what: string, value: string): string {
  const fault = textFault(value);
  if (fault) throw new CliError(`${faultMessage(what, fault)}; nothing was done`, 252);
  return value;
}
