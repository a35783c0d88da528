/**
 * A stand-in STS endpoint on a free loopback port, in front of moto or on its own: it records
 * every AssumeRoleWithSAML request (the parameters, the decoded SAML Response) and, as the test
 * chooses, passes it to moto (its answer rewritten when the test asks), answers an error as AWS writes it (moto checks neither roles nor
 * trust, so refusals are answered here), answers canned credentials at once (for benchmarks),
 * or never answers (a slow STS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StsFrontMode =
  | { kind: 'forward'; to: string; rewrite?: (answer: string) => string }
  | { kind: 'error'; status: number; code: string; message: string }
  | { kind: 'canned' }
  | { kind: 'hang' };

export interface StsRequest {
  params: URLSearchParams;
  /** The SAML Response as XML. */
  samlResponse: string;
  /** The request id of the answer sent (moto's or ours). */
  answeredRequestId: string | undefined;
}

export interface StsFront {
  url: string;
  mode: StsFrontMode;
  readonly requests: StsRequest[];
  stop(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
let counter = 0;

function requestId(): string {
  counter++;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

/** An awsQuery error document, as STS writes one. */
export function stsErrorXml(code: string, message: string, id: string): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`;
}

/** A successful AssumeRoleWithSAML answer with fixed credentials valid for an hour. */
export function cannedAssumeRoleWithSamlXml(id: string, roleArn: string): string {
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  const roleName = roleArn.split('/').pop() ?? 'role';
  return `<AssumeRoleWithSAMLResponse xmlns="${NS}"><AssumeRoleWithSAMLResult><Credentials><AccessKeyId>ASIAEXAMPLE000000001</AccessKeyId><SecretAccessKey>secret0000000000000000000000000000000000</SecretAccessKey><SessionToken>token000000000000000000000000000000</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/${roleName}/alice</Arn><AssumedRoleId>AROAEXAMPLE:alice</AssumedRoleId></AssumedRoleUser><Audience>https://signin.aws.amazon.com/saml</Audience></AssumeRoleWithSAMLResult><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></AssumeRoleWithSAMLResponse>`;
}

export async function startStsFront(
  initial: StsFrontMode,
  options: { record?: boolean } = {},
): Promise<StsFront> {
  const requests: StsRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const front: Partial<StsFront> & { mode: StsFrontMode } = { mode: initial };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString());
      const record: StsRequest = {
        params,
        samlResponse: Buffer.from(params.get('SAMLAssertion') ?? '', 'base64').toString(),
        answeredRequestId: undefined,
      };
      if (options.record !== false) requests.push(record);
      const mode = front.mode;
      if (mode.kind === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode.kind === 'canned' || mode.kind === 'error') {
        const id = requestId();
        record.answeredRequestId = id;
        const xml =
          mode.kind === 'canned'
            ? cannedAssumeRoleWithSamlXml(id, params.get('RoleArn') ?? '')
            : stsErrorXml(mode.code, mode.message, id);
        res.writeHead(mode.kind === 'canned' ? 200 : mode.status, {
          'content-type': 'text/xml',
          'x-amzn-RequestId': id,
          'content-length': Buffer.byteLength(xml),
        });
        res.end(xml);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      }
      fetch(`${mode.to}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
        .then(async (answer) => {
          const text = mode.rewrite ? mode.rewrite(await answer.text()) : await answer.text();
          record.answeredRequestId =
            answer.headers.get('x-amzn-requestid') ?? /<RequestId>([^<]+)</.exec(text)?.[1];
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/xml',
            ...(record.answeredRequestId ? { 'x-amzn-RequestId': record.answeredRequestId } : {}),
          });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(502);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(front, {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as StsFront;
}
