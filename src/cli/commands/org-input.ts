/**
 * Reading what `idcenter apply` and `idcenter aws template` take: the organization file (every
 * problem listed with its path and line, exit 253) and the server's SAML metadata (a file given
 * with --saml-metadata, or made from the server's settings like `idcenter aws metadata`).
 */
import fs from 'node:fs';
import { createSamlIdentityProvider } from '../../app/federation/identity-provider.ts';
import {
  type DesiredOrg,
  formatProblem,
  MAX_ORG_FILE_BYTES,
  parseOrgFile,
} from '../../app/org-file/index.ts';
import type { Config } from '../../config/schema.ts';
import { CliError } from '../errors.ts';

function readOrgText(file: string): string {
  try {
    if (file === '-') return fs.readFileSync(0, 'utf8');
    const size = fs.statSync(file).size;
    if (size > MAX_ORG_FILE_BYTES) {
      throw new CliError(
        `${file} is ${size} bytes; organization files are limited to ${MAX_ORG_FILE_BYTES}`,
        253,
      );
    }
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    throw new CliError(`cannot read ${file}: ${why}`, 255);
  }
}

/** The organization file `file` (`-`: stdin), parsed; an invalid file lists its problems on `stderr`. */
export function readOrgFile(file: string, stderr: NodeJS.WritableStream): DesiredOrg {
  const parsed = parseOrgFile(readOrgText(file));
  if (!parsed.ok) {
    const n = parsed.problems.length;
    stderr.write(`idcenter: ${file} has ${n} ${n === 1 ? 'problem' : 'problems'}; nothing was written:\n`);
    for (const p of parsed.problems) stderr.write(`  ${formatProblem(p)}\n`);
    throw new CliError(`${file} is not a valid organization file`, 253);
  }
  return parsed.org;
}

/** The SAML metadata of `--saml-metadata`: a file holding an EntityDescriptor with a certificate. */
function readMetadataFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(
      `cannot read the SAML metadata ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
      253,
    );
  }
  if (!/<(?:\w+:)?EntityDescriptor\b[^>]*\bentityID=/.test(text) || !/X509Certificate>/.test(text)) {
    throw new CliError(
      `${file} is not SAML metadata with a signing certificate (write it with idcenter aws metadata, or fetch GET /saml/metadata from the server)`,
      253,
    );
  }
  return text;
}

/**
 * Where the SAML metadata comes from: `--saml-metadata`, or the server's settings (warning when
 * the public URL, and so the entity id, is a guess).
 */
export function samlMetadataSource(
  opts: { samlMetadata?: string | undefined },
  config: Config,
  stderr: NodeJS.WritableStream,
): () => Promise<string> {
  return async () => {
    if (opts.samlMetadata) return readMetadataFile(opts.samlMetadata);
    if (config.publicUrlDerived && !config.samlEntityId) {
      stderr.write(
        `warning: no public URL given, so the SAML provider trusts the entity id ${config.publicUrl}/saml/metadata; give --public-url (or IDCENTER_PUBLIC_URL) as the server has it, or --saml-metadata\n`,
      );
    }
    try {
      return await createSamlIdentityProvider(config).metadata();
    } catch (err) {
      if ((err as Error).name === 'SamlKeyError') throw new CliError((err as Error).message, 253);
      throw err;
    }
  };
}
