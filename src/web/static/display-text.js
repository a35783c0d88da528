// @ts-check
// How text from outside (account, permission-set, client and user names) is shown, in one place
// for the server and the browser: the server's pages import it (src/web/text.ts) and the access
// portal's script imports it as a module from the same static path. Control, zero-width and
// bidirectional-override characters become U+FFFD, so "invoice\u202Egpj.exe" cannot pose as
// "invoiceexe.jpg". Escaping is not done here: the server's `html` and the browser's
// textContent do that.

/**
 * True for the characters a name shows as U+FFFD.
 *
 * @param {number} code a code point
 * @returns {boolean}
 */
export function isInvisible(code) {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    // ZWJ/ZWNJ (U+200C/D) stay: emoji sequences and several scripts need them.
    code === 0x200b ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2069) ||
    code === 0xfeff
  );
}

/**
 * `s` with every invisible character replaced by U+FFFD.
 *
 * @example readable('a\u202Eb') // 'a\uFFFDb'
 * @param {string} s
 * @returns {string}
 */
export function readable(s) {
  let out = '';
  for (const ch of s) out += isInvisible(ch.codePointAt(0) ?? 0) ? '\ufffd' : ch;
  return out;
}
