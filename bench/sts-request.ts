/**
 * The requests the benchmarks replay: STS GetCallerIdentity, and any awsJson1_1 call (the admin
 * APIs), signed once by botocore's SigV4 signer (a real client's bytes), then sent as is for as
 * long as the signature is current.
 */
import { python } from '../test/helpers/python.ts';

export const GCI_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

/** A GetCallerIdentity request's headers, signed by botocore's SigV4 signer for `url`. */
export async function signedGetCallerIdentity(
  url: string,
  c: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
): Promise<Record<string, string>> {
  const script = `
import json, sys
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
req = AWSRequest(method='POST', url=a['url'] + '/', data=a['body'].encode(),
                 headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
botocore.auth.SigV4Auth(Credentials(a['akid'], a['secret'], a['token']), 'sts', 'us-east-1').add_auth(req)
print(json.dumps(dict(req.headers.items())))
`;
  const r = await python(script, [
    JSON.stringify({
      url,
      body: GCI_BODY,
      akid: c.accessKeyId,
      secret: c.secretAccessKey,
      token: c.sessionToken,
    }),
  ]);
  if (r.code !== 0) throw new Error(`signing failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/**
 * Headers of an awsJson1_1 request (`X-Amz-Target` `target`, JSON `body`) signed by botocore's
 * SigV4 signer for `service` at `url`.
 */
export async function signedAwsJson(
  url: string,
  c: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
  service: string,
  target: string,
  body: string,
): Promise<Record<string, string>> {
  const script = `
import json, sys
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
req = AWSRequest(method='POST', url=a['url'] + '/', data=a['body'].encode(),
                 headers={'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': a['target']})
botocore.auth.SigV4Auth(Credentials(a['akid'], a['secret'], a['token']), a['service'], 'us-east-1').add_auth(req)
print(json.dumps(dict(req.headers.items())))
`;
  const r = await python(script, [
    JSON.stringify({
      url,
      body,
      target,
      service,
      akid: c.accessKeyId,
      secret: c.secretAccessKey,
      token: c.sessionToken,
    }),
  ]);
  if (r.code !== 0) throw new Error(`signing failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}
