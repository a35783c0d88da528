/** The implementation of `idcenter aws metadata` (see `aws.ts`). */
import fs from 'node:fs';
import { createSamlIdentityProvider } from '../../app/federation/identity-provider.ts';
import { loadConfig } from '../../config/load.ts';
import { CliError } from '../errors.ts';
import type { AwsMetadataFlags } from './aws.ts';

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
