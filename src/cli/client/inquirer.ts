/**
 * The two prompts the client uses. `prompt.ts` loads this module lazily, so commands that never
 * prompt never load inquirer; importing the two by name keeps a bundle to those two of
 * @inquirer/prompts.
 */
import input from '@inquirer/input';
import search from '@inquirer/search';

export const prompts = { input, search };
