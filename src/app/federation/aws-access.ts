/**
 * How `idcenter apply` reaches the IAM of each `aws` account: a provisioning credential from
 * AWS's default credential chain (environment, `AWS_PROFILE`, the shared files, SSO, container
 * or instance roles) or a named profile, normally of the management account; then STS
 * `AssumeRole` into `federation.provisioning.roleName` (`OrganizationAccountAccessRole`) in every
 * account the credential does not belong to. One IAM client per account, through the AWS SDK.
 *
 * Every call is bounded (`IDCENTER_AWS_IAM_TIMEOUT`, retries included). Partitions are checked
 * twice: an endpoint override whose host names another partition is refused before any call, and
 * every ARN STS answers must be in the account's partition, so a GovCloud account is never
 * provisioned through commercial endpoints or credentials (or the reverse).
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import {
  arnPartition,
  defaultRegion,
  endpointPartition,
  iamEndpoint,
  type Partition,
  stsEndpoint,
} from '../../domain/federation/partitions.ts';
import {
  type FederationSettings,
  type ProvisioningSettings,
  regionFor,
} from '../../domain/federation/settings.ts';
import { stsCallError } from './sts.ts';

type IamSdk = typeof import('@aws-sdk/client-iam');
type StsSdk = typeof import('@aws-sdk/client-sts');

/**
 * - `credentials`: no provisioning credential was found, or it was refused;
 * - `assume_role`: the credential may not assume the provisioning role in an account;
 * - `partition`: an endpoint or a credential of another partition than the account's;
 * - `timeout`, `unreachable`: STS or IAM did not answer in time, or cannot be reached;
 * - `refused`: IAM refused a call;
 * - `conflict`: IAM has something in the way (a role or provider not made by idcenter, a missing policy).
 */
export type ProvisioningFailure =
  | 'credentials'
  | 'assume_role'
  | 'partition'
  | 'timeout'
  | 'unreachable'
  | 'refused'
  | 'conflict'
  /** IAM was changed, then the store could not be written. */
  | 'store';

export class ProvisioningError extends Error {
  readonly failure: ProvisioningFailure;
  /** True once apply has written something (IAM changes or the store) before this failure. */
  readonly written: boolean;
  constructor(
    failure: ProvisioningFailure,
    message: string,
    options?: { cause?: unknown; written?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProvisioningError';
    this.failure = failure;
    this.written = options?.written ?? false;
  }
}

export interface AwsAccessOptions {
  provisioning: ProvisioningSettings;
  settings: Pick<FederationSettings, 'partition' | 'region'>;
  /** `IDCENTER_AWS_STS_ENDPOINT`, or '' for the partition's regional endpoint. */
  stsEndpoint: string;
  /** `IDCENTER_AWS_IAM_ENDPOINT`, or '' for the partition's. */
  iamEndpoint: string;
  /** Bound on one call, retries included. */
  timeoutMs: number;
}

export interface AccountTarget {
  accountId: string;
  partition: Partition;
}

/** One account's IAM, reached. */
export interface ReachedAccount extends AccountTarget {
  iam: IAMClient;
  sdk: IamSdk;
  /** Where IAM calls go, for messages. */
  endpoint: string;
  /** Who the calls are made as (an assumed-role or the credential's own ARN). */
  principal: string;
}

export interface AwsAccess {
  /** Reach every account (all or nothing: the first failure is thrown, naming the account). */
  reach(targets: readonly AccountTarget[]): Promise<Map<string, ReachedAccount>>;
  /** Run one SDK call bounded by the timeout, its failure as a `ProvisioningError`. */
  call<T>(
    what: { action: string; accountId: string; service: 'IAM' | 'STS'; endpoint: string },
    fn: (abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  close(): void;
}

const SESSION_NAME = 'idcenter-apply';

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** What to set when no credential is found, in words. */
function credentialHelp(provisioning: ProvisioningSettings): string {
  const where = provisioning.profile
    ? `the profile "${provisioning.profile}" (federation.provisioning.profile) gave none`
    : 'none was found in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), AWS_PROFILE or ~/.aws';
  return `${where}. Give idcenter apply a credential of the management account: set federation.provisioning.profile in the organization file to an AWS profile, or AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or set federation.provisioning.enabled: false and create the roles with your own pipeline (idcenter aws template)`;
}

function isCredentialError(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return name === 'CredentialsProviderError' || name === 'TokenProviderError';
}

export function createAwsAccess(options: AwsAccessOptions): AwsAccess {
  const { provisioning, timeoutMs } = options;
  const clients: Array<{ destroy(): void }> = [];
  let sdks: Promise<{ sts: StsSdk; iam: IamSdk }> | undefined;
  const load = () => {
    sdks ??= Promise.all([import('@aws-sdk/client-sts'), import('@aws-sdk/client-iam')]).then(
      ([sts, iam]) => ({ sts, iam }),
    );
    return sdks;
  };
  const handler = { connectionTimeout: timeoutMs, requestTimeout: timeoutMs };

  const call: AwsAccess['call'] = async (what, fn) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      return await fn(deadline);
    } catch (err) {
      if (err instanceof ProvisioningError) throw err;
      if (isCredentialError(err)) {
        throw new ProvisioningError(
          'credentials',
          `account ${what.accountId} (access: aws) needs a provisioning credential to reach its IAM, and ${credentialHelp(provisioning)}.`,
          { cause: err },
        );
      }
      const e = stsCallError(err, what.endpoint, deadline.aborted);
      const service = `${what.service} at ${what.endpoint}`;
      if (e.failure === 'timeout') {
        throw new ProvisioningError(
          'timeout',
          `${service} did not answer ${what.action} for account ${what.accountId} within ${seconds(timeoutMs)} (IDCENTER_AWS_IAM_TIMEOUT). Check the network path to it (IDCENTER_AWS_${what.service}_ENDPOINT, proxies, firewalls) and try again.`,
          { cause: err },
        );
      }
      if (e.failure === 'unreachable') {
        throw new ProvisioningError(
          'unreachable',
          `${service} cannot be reached (${e.code}) for ${what.action} in account ${what.accountId}. Check the network path to it (IDCENTER_AWS_${what.service}_ENDPOINT, proxies, firewalls) and try again.`,
          { cause: err },
        );
      }
      throw new ProvisioningError(
        'refused',
        `${what.service} refused ${what.action} in account ${what.accountId}: ${e.code}: ${e.message}${e.requestId ? ` (request id ${e.requestId})` : ''}`,
        { cause: err },
      );
    }
  };

  const stsUrl = (partition: Partition) =>
    options.stsEndpoint ||
    stsEndpoint(partition, regionFor(options.settings as FederationSettings, partition));
  const iamUrl = (partition: Partition) => options.iamEndpoint || iamEndpoint(partition);

  /** Endpoint overrides whose host names another partition: refused before any call. */
  function checkEndpoints(targets: readonly AccountTarget[]): void {
    for (const t of targets) {
      for (const [service, url] of [
        ['STS', options.stsEndpoint],
        ['IAM', options.iamEndpoint],
      ] as const) {
        const p = url ? endpointPartition(url) : undefined;
        if (p !== undefined && p !== t.partition) {
          throw new ProvisioningError(
            'partition',
            `account ${t.accountId} is in partition ${t.partition}, but IDCENTER_AWS_${service}_ENDPOINT (${url}) is in partition ${p}: a partition's accounts are reached through its own endpoints only. Set the account's partition in the organization file, or unset IDCENTER_AWS_${service}_ENDPOINT.`,
          );
        }
      }
    }
  }

  function checkArn(arn: string | undefined, t: AccountTarget, what: string): void {
    const p = arn ? arnPartition(arn) : undefined;
    if (p !== undefined && p !== t.partition) {
      throw new ProvisioningError(
        'partition',
        `account ${t.accountId} is in partition ${t.partition}, but ${what} is in partition ${p} (${arn}): credentials and endpoints of one partition cannot provision another. Set the account's partition in the organization file, or give a provisioning credential of partition ${t.partition}.`,
      );
    }
  }

  async function reachPartition(
    partition: Partition,
    targets: readonly AccountTarget[],
    out: Map<string, ReachedAccount>,
  ): Promise<void> {
    const { sts, iam } = await load();
    const region = regionFor(options.settings as FederationSettings, partition);
    const endpoint = stsUrl(partition);
    const base: STSClient = new sts.STSClient({
      region,
      endpoint,
      maxAttempts: 3,
      requestHandler: handler,
      ...(provisioning.profile ? { profile: provisioning.profile } : {}),
    });
    clients.push(base);
    const first = targets[0]!;
    const me = await call(
      { action: 'GetCallerIdentity', accountId: first.accountId, service: 'STS', endpoint },
      (s) => base.send(new sts.GetCallerIdentityCommand({}), { abortSignal: s }),
    );
    for (const t of targets) checkArn(me.Arn, t, `the provisioning credential ${me.Arn}`);
    const own = await base.config.credentials();
    for (const t of targets) {
      let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      let principal = me.Arn ?? 'the provisioning credential';
      if (t.accountId === me.Account) {
        credentials = own;
      } else {
        const roleArn = `arn:${partition}:iam::${t.accountId}:role/${provisioning.roleName}`;
        let assumed: AssumeRoleCommandOutput;
        try {
          assumed = await call(
            { action: `AssumeRole ${roleArn}`, accountId: t.accountId, service: 'STS', endpoint },
            (s) =>
              base.send(
                new sts.AssumeRoleCommand({
                  RoleArn: roleArn,
                  RoleSessionName: SESSION_NAME,
                  DurationSeconds: 3600,
                  ...(provisioning.externalId ? { ExternalId: provisioning.externalId } : {}),
                }),
                { abortSignal: s },
              ),
          );
        } catch (err) {
          if (err instanceof ProvisioningError && err.failure === 'refused') {
            throw new ProvisioningError(
              'assume_role',
              `the provisioning credential ${me.Arn} cannot assume ${roleArn} to reach account ${t.accountId}'s IAM (${err.message.replace(/^STS refused [^:]*: /, '')}). Make sure that role exists there and trusts account ${me.Account}, or set federation.provisioning.roleName to one that does${provisioning.externalId ? ' (with federation.provisioning.externalId)' : ''}.`,
              { cause: err },
            );
          }
          throw err;
        }
        const c = assumed.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) {
          throw new ProvisioningError('refused', `STS answered AssumeRole ${roleArn} without credentials`);
        }
        checkArn(assumed.AssumedRoleUser?.Arn, t, `the role assumed there`);
        credentials = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        };
        principal = assumed.AssumedRoleUser?.Arn ?? roleArn;
      }
      const client = new iam.IAMClient({
        // IAM is global in a partition; requests are signed for the partition's first region.
        region: defaultRegion(partition),
        endpoint: iamUrl(partition),
        credentials,
        maxAttempts: 3,
        requestHandler: handler,
      });
      clients.push(client);
      out.set(t.accountId, {
        ...t,
        iam: client,
        sdk: iam,
        endpoint: iamUrl(partition),
        principal,
      });
    }
  }

  return {
    call,
    async reach(targets) {
      checkEndpoints(targets);
      const out = new Map<string, ReachedAccount>();
      const byPartition = new Map<Partition, AccountTarget[]>();
      for (const t of targets) {
        const list = byPartition.get(t.partition) ?? [];
        list.push(t);
        byPartition.set(t.partition, list);
      }
      for (const [partition, list] of byPartition) {
        try {
          await reachPartition(partition, list, out);
        } catch (err) {
          if (err instanceof ProvisioningError && err.failure === 'credentials') {
            const ids = list.map((t) => t.accountId).join(', ');
            throw new ProvisioningError(
              'credentials',
              `${list.length === 1 ? 'account' : 'accounts'} ${ids} (access: aws, partition ${partition}) ${list.length === 1 ? 'needs' : 'need'} a provisioning credential to reach IAM, and ${credentialHelp(provisioning)}.`,
              { cause: err },
            );
          }
          throw err;
        }
      }
      return out;
    },
    close() {
      for (const c of clients) c.destroy();
      clients.length = 0;
    },
  };
}
