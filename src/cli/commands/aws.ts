/**
 * `idcenter aws …`: what an AWS account needs to trust this server. `metadata` prints the SAML
 * identity provider metadata (the same document `GET /saml/metadata` serves) for
 * `aws iam create-saml-provider`. The implementation loads only when a command runs (`aws-run.ts`).
 */
import type { Command } from 'commander';
import { type DataDirFlags, dataDirOption } from './store-options.ts';

export interface AwsMetadataFlags extends DataDirFlags {
  publicUrl?: string;
  output?: string;
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
}
