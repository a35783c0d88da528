/**
 * What the consent pages call the application asking for access. The AWS CLI and the SDKs
 * register as `botocore-client-<sso-session>` (or `botocore-client-<epoch seconds>` without a
 * session), which tells a person little; the registered name is shown beside it, in small print.
 */
export function clientLabel(registeredName: string): string {
  const m = /^botocore-client-(.+)$/.exec(registeredName);
  if (!m) return registeredName;
  const session = m[1] as string;
  return /^\d+$/.test(session)
    ? 'the AWS CLI or an AWS SDK'
    : `the AWS CLI or an AWS SDK (sso-session ${session})`;
}
