/** STS GetCallerIdentity (awsQuery, SigV4-signed), for `idcenter sts get-caller-identity`. */
import { type HttpClient, ServiceError } from './http.ts';
import { type SigningCredentials, signRequest } from './sigv4.ts';

export interface CallerIdentity {
  UserId: string;
  Account: string;
  Arn: string;
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1] as string) : undefined;
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

export async function getCallerIdentity(
  http: HttpClient,
  endpoint: string,
  region: string,
  credentials: SigningCredentials,
  now: number,
): Promise<CallerIdentity> {
  const op = 'GetCallerIdentity';
  const url = `${endpoint.replace(/\/+$/, '')}/`;
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const headers = signRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    region,
    service: 'sts',
    now,
    credentials,
  });
  delete headers.host;
  const res = await http.request({
    method: 'POST',
    url,
    headers: { ...headers, accept: 'text/xml' },
    body,
    operation: op,
  });
  if (res.status < 200 || res.status >= 300) {
    const code = xmlText(res.body, 'Code') ?? String(res.status);
    throw new ServiceError(op, code, res.status, xmlText(res.body, 'Message') ?? '');
  }
  const userId = xmlText(res.body, 'UserId');
  const account = xmlText(res.body, 'Account');
  const arn = xmlText(res.body, 'Arn');
  if (!userId || !account || !arn)
    throw new ServiceError(op, 'InvalidResponse', res.status, 'unreadable response');
  return { UserId: userId, Account: account, Arn: arn };
}
