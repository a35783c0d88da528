/** The implementation of `idcenter aws metadata` and `idcenter aws template` (see `aws.ts`). */
import fs from 'node:fs';
import { stringify } from 'yaml';
import { createSamlIdentityProvider } from '../../app/federation/identity-provider.ts';
import { accountTemplate } from '../../app/federation/template.ts';
import { loadConfig } from '../../config/load.ts';
import { isDomainError } from '../../domain/errors.ts';
import { signinEndpoint } from '../../domain/federation/partitions.ts';
import { checkAccountId } from '../../domain/identity/organization.ts';
import { writeFileAtomic } from '../client/files.ts';
import { CliError } from '../errors.ts';
import { adminConfig } from './admin-config.ts';
import type { AwsMetadataFlags, AwsTemplateFlags } from './aws.ts';
import { readOrgFile, samlMetadataSource } from './org-input.ts';

export async function runAwsMetadata(
  opts: AwsMetadataFlags,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = {
    out: process.stdout,
    err: process.stderr,
  },
): Promise<void> {
  const config = loadConfig(
    {
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    },
    process.env,
  );
  if (config.publicUrlDerived) {
    io.err.write(
      `warning: no public URL given, so the entity id is ${config.publicUrl}/saml/metadata; give --public-url (or IDCENTER_PUBLIC_URL) as the server has it, or set IDCENTER_SAML_ENTITY_ID\n`,
    );
  }
  let metadata: string;
  try {
    metadata = await createSamlIdentityProvider(config).metadata();
  } catch (err) {
    if ((err as Error).name === 'SamlKeyError') throw new CliError((err as Error).message, 253);
    throw err;
  }
  if (opts.output) {
    fs.writeFileSync(opts.output, metadata);
    io.err.write(`wrote the SAML metadata to ${opts.output}\n`);
  } else {
    io.out.write(metadata);
  }
}

export async function runAwsTemplate(
  opts: AwsTemplateFlags,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = {
    out: process.stdout,
    err: process.stderr,
  },
): Promise<void> {
  const format = (opts.format ?? 'yaml').toLowerCase();
  if (format !== 'yaml' && format !== 'json') {
    throw new CliError(`--format must be yaml or json, not "${opts.format}"`, 252);
  }
  if (opts.account !== undefined) {
    const problem = checkAccountId(opts.account);
    if (problem) throw new CliError(`--account: ${problem}`, 252);
  }
  const org = readOrgFile(opts.file, io.err);
  const config = adminConfig(opts);
  let result: Awaited<ReturnType<typeof accountTemplate>>;
  try {
    result = await accountTemplate(org, {
      accountId: opts.account,
      metadata: samlMetadataSource(opts, config, io.err),
      audience: (partition) => config.awsSigninEndpoint || signinEndpoint(partition),
      issuer: config.publicUrl,
    });
  } catch (err) {
    if (isDomainError(err)) throw new CliError(err.message, 253);
    throw err;
  }
  const text =
    format === 'json'
      ? `${JSON.stringify(result.template, null, 2)}\n`
      : // YAML 1.1 quoting: parsers of 1.1 (PyYAML, so the tools around CloudFormation) would read
        // an unquoted 2012-10-17 as a date.
        stringify(result.template, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
  if (opts.output) {
    writeFileAtomic(opts.output, text, { mode: 0o644 });
    io.err.write(
      `wrote the CloudFormation template of account ${result.spec.accountId} (${result.spec.provider.kind === 'oidc' ? `OIDC provider ${result.spec.provider.url}` : `SAML provider ${result.spec.provider.name}`}, ${result.spec.roles.length} ${result.spec.roles.length === 1 ? 'role' : 'roles'}) to ${opts.output}\n`,
    );
  } else {
    io.out.write(text);
  }
}
