/**
 * `idcenter aws …`: what an AWS account needs to trust this server. `metadata` prints the SAML
 * identity provider metadata (the same document `GET /saml/metadata` serves) for
 * `aws iam create-saml-provider`; `template` writes the CloudFormation template of the provider
 * and roles `idcenter apply` provisions in an account. The implementation loads only when a
 * command runs (`aws-run.ts`).
 */
import type { Command } from 'commander';
import { type DataDirFlags, dataDirOption } from './store-options.ts';

export interface AwsMetadataFlags extends DataDirFlags {
  publicUrl?: string;
  output?: string;
}

export interface AwsTemplateFlags extends DataDirFlags {
  file: string;
  account?: string;
  format?: string;
  output?: string;
  samlMetadata?: string;
  publicUrl?: string;
}

export function defineAwsCommands(program: Command): void {
  const aws = program
    .command('aws')
    .description('What an AWS account needs to trust this server as its SAML identity provider.');

  dataDirOption(
    aws
      .command('metadata')
      .description(
        "Print this server's SAML metadata: the document `aws iam create-saml-provider --saml-metadata-document file://…` takes. Run it on the server host with the server's settings (data directory, IDCENTER_PUBLIC_URL, IDCENTER_SAML_*): the entity id comes from the public URL. Generates the signing key into <data dir>/saml/ when there is none yet.",
      )
      .option('--public-url <url>', 'the URL clients use to reach the server [env IDCENTER_PUBLIC_URL]')
      .option('-o, --output <file>', 'write the document to this file instead of standard output'),
    'the SAML signing key',
  ).action(async (opts: AwsMetadataFlags) => {
    const { runAwsMetadata } = await import('./aws-run.ts');
    await runAwsMetadata(opts);
  });

  dataDirOption(
    aws
      .command('template')
      .description(
        "Write the AWS CloudFormation template of what idcenter apply provisions in an account with access: aws: the IAM SAML provider (from this server's metadata) and one role per permission set assigned there, with its trust policy, policies, permissions boundary, maximum session and tags. For teams that deploy IAM with their own pipeline (then set federation.provisioning.enabled: false). Reads the organization file only; run it with the server settings (IDCENTER_PUBLIC_URL, the data directory or IDCENTER_SAML_*) or give --saml-metadata.",
      )
      .requiredOption('-f, --file <file>', 'the organization file (YAML); - reads it from stdin')
      .option('--account <id>', 'the account (needed when the file has more than one aws account)')
      .option('--format <format>', 'yaml or json', 'yaml')
      .option('-o, --output <file>', 'write the template to this file instead of standard output')
      .option(
        '--saml-metadata <file>',
        "the server's SAML metadata (GET /saml/metadata or idcenter aws metadata); default: made from the server settings",
      )
      .option('--public-url <url>', 'the URL clients use to reach the server [env IDCENTER_PUBLIC_URL]'),
    'the SAML signing key',
  ).action(async (opts: AwsTemplateFlags) => {
    const { runAwsTemplate } = await import('./aws-run.ts');
    await runAwsTemplate(opts);
  });
}
