/**
 * awsQuery framing for STS (docs/wire-protocols.md, "awsQuery errors", "STS"): form-encoded
 * parameters in the body (and/or the query string) in, XML out. Responses are `<Action>Response`
 * wrapping `<Action>Result` and `ResponseMetadata/RequestId`; errors are `ErrorResponse/Error` with
 * `Type` (Sender for 4xx, Receiver for 5xx), `Code` and `Message`, always XML.
 */
import type { FastifyReply } from 'fastify';
import { decodeForm, type FormFault } from './form.ts';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * Add the awsQuery parameters of a query string or a form body to `into` (a repeated name keeps
 * its first value). The text is decoded strictly (`codecs/form.ts`): a parameter that is not
 * UTF-8, or has a control character, is returned as the fault and nothing is added.
 */
export function parseForm(
  input: Buffer | string,
  into: Map<string, string> = new Map(),
): FormFault | undefined {
  const decoded = decodeForm(input);
  if (!decoded.ok) return decoded.fault;
  for (const [name, value] of decoded.pairs) if (!into.has(name)) into.set(name, value);
  return undefined;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escape text for an XML element or attribute; drops characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  // Most values (ids, ARNs, names) need neither step.
  if (!/[^\t\n\r\u0020\u0021\u0023-\u0025\u0028-\u003b\u003d\u003f-\uD7FF\uE000-\uFFFD]/.test(text))
    return text;
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** `<Name>escaped value</Name>` for each entry, in order. */
export function xmlFields(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
}

/** The body of a successful response (sent as `text/xml`; the request id header is the transport's). */
export function queryResultXml(action: string, resultXml: string, requestId: string): string {
  return `<${action}Response xmlns="${STS_XMLNS}"><${action}Result>${resultXml}</${action}Result><ResponseMetadata><RequestId>${xmlEscape(requestId)}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The body of an error response (sent as `text/xml`; the request id header is the transport's). */
export function queryErrorXml(status: number, code: string, message: string, requestId: string): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${xmlEscape(requestId)}</RequestId></ErrorResponse>`;
}

export function sendQueryError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  requestId: string,
): FastifyReply {
  return reply
    .code(status)
    .type('text/xml')
    .send(queryErrorXml(status, code, message, requestId));
}
