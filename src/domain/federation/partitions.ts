/**
 * AWS partitions as SAML federation sees them: the ARN prefix, the sign-in endpoint that is both
 * the audience and the recipient of every assertion, and the default STS endpoint. A role in a
 * GovCloud account trusts assertions addressed to GovCloud's sign-in endpoint only, so the
 * partition of an account decides all three together.
 *
 * Sources: the IAM user guide, "Configuring SAML assertions for the authentication response"
 * (audience and recipient per partition), and the botocore endpoint data (`partitions.json`);
 * the console hosts from the console sign-in pages of each partition.
 */

export const PARTITIONS = ['aws', 'aws-us-gov', 'aws-cn'] as const;
export type Partition = (typeof PARTITIONS)[number];

interface PartitionFacts {
  /** Where the browser POSTs the SAMLResponse; also the assertion's audience and recipient. */
  signinEndpoint: string;
  /** The regional STS endpoint for `region`. */
  stsEndpoint: (region: string) => string;
  /** The region used when an account names none. */
  defaultRegion: string;
  /** The AWS Management Console's host; its regional and service hosts are subdomains of it. */
  consoleHost: string;
}

const FACTS: Record<Partition, PartitionFacts> = {
  aws: {
    signinEndpoint: 'https://signin.aws.amazon.com/saml',
    stsEndpoint: (region) => `https://sts.${region}.amazonaws.com`,
    defaultRegion: 'us-east-1',
    consoleHost: 'console.aws.amazon.com',
  },
  'aws-us-gov': {
    signinEndpoint: 'https://signin.amazonaws-us-gov.com/saml',
    stsEndpoint: (region) => `https://sts.${region}.amazonaws.com`,
    defaultRegion: 'us-gov-west-1',
    consoleHost: 'console.amazonaws-us-gov.com',
  },
  'aws-cn': {
    signinEndpoint: 'https://signin.amazonaws.cn/saml',
    stsEndpoint: (region) => `https://sts.${region}.amazonaws.com.cn`,
    defaultRegion: 'cn-north-1',
    consoleHost: 'console.amazonaws.cn',
  },
};

export function isPartition(value: string): value is Partition {
  return (PARTITIONS as readonly string[]).includes(value);
}

export function signinEndpoint(partition: Partition): string {
  return FACTS[partition].signinEndpoint;
}

export function defaultRegion(partition: Partition): string {
  return FACTS[partition].defaultRegion;
}

/** `console.aws.amazon.com` and the like: where a console sign-in lands. */
export function consoleHost(partition: Partition): string {
  return FACTS[partition].consoleHost;
}

export function stsEndpoint(partition: Partition, region: string): string {
  return FACTS[partition].stsEndpoint(region);
}

/** Whether `region` belongs to `partition`, by the region name prefixes each partition uses. */
export function regionInPartition(region: string, partition: Partition): boolean {
  if (partition === 'aws-cn') return region.startsWith('cn-');
  if (partition === 'aws-us-gov') return region.startsWith('us-gov-');
  return !region.startsWith('cn-') && !region.startsWith('us-gov-');
}

/** `arn:<partition>:iam::<account>:saml-provider/<name>` */
export function samlProviderArn(partition: Partition, accountId: string, providerName: string): string {
  return `arn:${partition}:iam::${accountId}:saml-provider/${providerName}`;
}

/** `arn:<partition>:iam::<account>:role<path><name>`; `path` starts and ends with `/`. */
export function roleArn(partition: Partition, accountId: string, path: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${roleName}`;
}

/** IAM's endpoint in `partition` (IAM is global within a partition). */
export function iamEndpoint(partition: Partition): string {
  if (partition === 'aws-cn') return 'https://iam.cn-north-1.amazonaws.com.cn';
  if (partition === 'aws-us-gov') return 'https://iam.us-gov.amazonaws.com';
  return 'https://iam.amazonaws.com';
}

/**
 * The partition an AWS endpoint URL belongs to, by its host name (`*.amazonaws.com.cn`,
 * `*us-gov*.amazonaws.com`, `*.amazonaws.com`); undefined for any other host (a stand-in, a
 * proxy), whose partition only its answers tell.
 */
export function endpointPartition(url: string): Partition | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host.endsWith('.amazonaws.com.cn')) return 'aws-cn';
  if (host.endsWith('.amazonaws.com')) return /(?:^|[.-])us-gov(?:[.-]|$)/.test(host) ? 'aws-us-gov' : 'aws';
  return undefined;
}

/** The partition an ARN names (`arn:<partition>:…`), when it is one of ours. */
export function arnPartition(arn: string): Partition | undefined {
  const p = /^arn:([^:]+):/.exec(arn)?.[1];
  return p !== undefined && isPartition(p) ? p : undefined;
}

/**
 * `arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>`: the IAM OIDC
 * provider of an issuer, named by its host and path (IAM's own rule).
 */
export function oidcProviderArn(partition: Partition, accountId: string, issuer: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${issuer.replace(/^https?:\/\//, '')}`;
}
