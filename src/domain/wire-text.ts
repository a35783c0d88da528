/**
 * The one rule for text that arrives from outside (a query parameter, a form field, a JSON
 * member, a command-line argument) before it may reach the store, a log or an audit event:
 * it is UTF-8, and it has no control character.
 *
 * - Control characters (Unicode `Cc`: U+0000–U+001F, U+007F–U+009F) are refused in every
 *   field, TAB and line breaks included: no field of the protocols, pages or commands is
 *   multi-line, and passwords cannot contain them either (`domain/identity/directory.ts`).
 *   NUL matters most: PostgreSQL cannot store it, nor even compare a column with it.
 * - Bytes that are not UTF-8, and lone surrogates (which a JSON `\ud800` escape or the UTF-8
 *   bytes ED A0 80 would smuggle in), are refused rather than turned into U+FFFD: the drivers
 *   would otherwise store a different value than the one the client sent. A U+FFFD the client
 *   really sent (the bytes EF BF BD) is ordinary text.
 *
 * Each protocol applies the rule at its edge and answers with its own 400 error; messages name
 * the field, never repeat its value.
 */

/** What is wrong with a text value: a control character, or not UTF-8 / not Unicode text. */
export type TextFault = 'control' | 'encoding';

/**
 * The fault of `value`, or undefined when it is clean text.
 *
 * @example textFault('alice') // undefined
 * @example textFault('a\u0000b') // 'control'
 * @example textFault('a\ud800') // 'encoding'
 */
export function textFault(value: string): TextFault | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'control';
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return 'encoding';
      i++;
    }
  }
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `bytes` as UTF-8 text, or undefined when they are not UTF-8 (the encoded surrogates
 * ED A0 80 – ED BF BF included). A leading byte-order mark is kept, not dropped.
 *
 * @example decodeUtf8(Buffer.from([0x61, 0xff])) // undefined
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A sentence saying why the value of `what` was refused (it never quotes the value).
 *
 * @example faultMessage('user_name', 'control') // "user_name must not contain control characters"
 */
export function faultMessage(what: string, fault: TextFault): string {
  return fault === 'control'
    ? `${what} must not contain control characters`
    : `${what} is not valid UTF-8 text`;
}

/**
 * A field name from the wire as a message may show it: itself when short and plain, otherwise
 * undefined (the caller then says "a field" without naming it).
 */
export function plainName(name: string): string | undefined {
  return /^[\w.[\]-]{1,64}$/.test(name) ? name : undefined;
}

/**
 * `text` with each control character and lone surrogate replaced by U+FFFD: for a message that
 * quotes what a client sent (a signature check's reason, kept in an audit event).
 *
 * @example replaceFaults('AK\u0000ID') // 'AK\ufffdID'
 */
export function replaceFaults(text: string): string {
  return textFault(text) === undefined ? text : text.replace(/[\p{Cc}\p{Cs}]/gu, '\ufffd');
}
