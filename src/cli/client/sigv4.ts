/**
 * Signature Version 4 for the one kind of request the CLI signs: an STS awsQuery POST
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 * The canonical request, string to sign and signing key are the server verifier's own
 * (`domain/sigv4.ts`, which imports no server module), so what the CLI signs is
 * what the server checks. Every header given is signed, with host and X-Amz-Date (and the
 * session token when there is one).
 */
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  credentialScope,
  deriveSigningKey,
  formatAmzDate,
  headerMap,
  sha256Hex,
  signCanonical,
} from '../../domain/sigv4.ts';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  /** Epoch milliseconds. */
  now: number;
  credentials: SigningCredentials;
}

/** The headers to send: the input headers plus host, x-amz-date, the token and Authorization. */
export function signRequest(input: SignInput): Record<string, string> {
  const url = new URL(input.url);
  const amzDate = formatAmzDate(input.now);
  const headers: Record<string, string> = { ...input.headers, host: url.host, 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const signedHeaders = [...new Set(Object.keys(headers).map((h) => h.toLowerCase()))].sort();
  // The path and query as they go on the request line (the URL's own encoding).
  const scope = { date: amzDate.slice(0, 8), region: input.region, service: input.service };
  const { signature } = signCanonical(
    {
      method: input.method,
      uri: canonicalUri(url.pathname, true),
      query: canonicalQuery(url.search.slice(1)),
      headers: canonicalHeaders(headerMap(Object.entries(headers).flat()), signedHeaders).text,
      signedHeaders,
      payloadHash: sha256Hex(input.body),
    },
    amzDate,
    scope,
    deriveSigningKey(input.credentials.secretAccessKey, scope.date, scope.region, scope.service),
  );
  return {
    ...headers,
    authorization: `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${credentialScope(scope.date, scope.region, scope.service)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  };
}
