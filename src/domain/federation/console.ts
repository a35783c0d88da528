/**
 * Console sign-in for federated (`aws`) accounts: the browser POSTs a signed SAML Response and a
 * RelayState to the partition's sign-in endpoint, and AWS sends it on to the RelayState, a page of
 * the AWS Management Console. Where it may land is checked here: a shortcut link
 * (`/start/console?…&destination=…`) names its destination, and an open redirect through this
 * server to a look-alike host must not be possible, so only `https` URLs on the partition's
 * console host (`console.aws.amazon.com`) or a subdomain of it (`us-west-2.console.aws.amazon.com`,
 * `s3.console.aws.amazon.com`) are accepted, without credentials or a port.
 */
import { consoleHost, type Partition } from './partitions.ts';

/** Longest destination accepted (a console URL with its fragment fits many times over). */
export const MAX_DESTINATION_LENGTH = 2048;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The destination as sent on (the parser's normalised form), or why it is refused. */
export function checkConsoleDestination(
  value: string,
  partition: Partition,
): { url: string } | { problem: string } {
  const host = consoleHost(partition);
  const refuse = (why: string) => ({
    problem: `The destination ${why}: only https addresses on ${host} or one of its subdomains can be opened.`,
  });
  if (value.length > MAX_DESTINATION_LENGTH) {
    return refuse(`is longer than ${MAX_DESTINATION_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('is not an absolute URL');
  }
  if (url.protocol !== 'https:') return refuse(`uses ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '') return refuse('carries a user name or password');
  if (url.port !== '') return refuse('names a port');
  const name = url.hostname;
  const under = name === host || name.endsWith(`.${host}`);
  const labels = name.split('.');
  if (!under || !labels.every((l) => LABEL.test(l))) return refuse(`is on ${name}`);
  return { url: url.href };
}

/**
 * The origins a console sign-in form may submit to, for the page's CSP `form-action`: the
 * sign-in endpoint itself, and the console hosts it redirects the POST to (browsers apply
 * `form-action` to the redirects of a form submission too).
 */
export function consoleFormOrigins(signinEndpoint: string, partition: Partition): string[] {
  const host = consoleHost(partition);
  return [new URL(signinEndpoint).origin, `https://${host}`, `https://*.${host}`];
}
