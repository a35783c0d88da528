/**
 * Text from outside (client names, user names) shown on pages: escaping is done by `html`, this
 * only makes the text honest to read — control, zero-width and bidirectional-override characters
 * become U+FFFD (so "botocore-client-x\u202Eevil" cannot pose as something else; the rule is
 * `static/display-text.js`, which the access portal's script uses too) and very long values are
 * cut.
 */
import { readable } from './static/display-text.js';

/** True when `s` has a C0/C1 control character (line breaks and NUL included). */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

export function displayText(s: string, max = 128): string {
  const cleaned = readable(s);
  const chars = [...cleaned];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : cleaned;
}

/** "3 minutes", "1 minute", "45 seconds". */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
