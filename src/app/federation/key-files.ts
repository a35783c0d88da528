/**
 * The RSA key files federation signs with (the SAML signing key and the web identity key): one
 * way to read them, parse them and generate them, and the same messages for both, each naming
 * its own key and file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { PRIVATE_FILE_MODE } from '../../storage/private-files.ts';

/** How a kind of key is named in messages ('SAML', 'web identity'), and the error it fails with. */
export interface KeyFileKind {
  label: string;
  fail(message: string, options?: { cause?: unknown }): Error;
}

/** The text of `file`, or the kind's error saying why it cannot be used. */
export function readKeyFile(kind: KeyFileKind, file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'it cannot be read' : String(err);
    throw kind.fail(`the ${kind.label} ${what} ${file} cannot be used: ${why}`, { cause: err });
  }
}

/** A PEM private key (or, with `allowPublic`, a public key), or the kind's error naming the file. */
export function parseKeyFile(
  kind: KeyFileKind,
  pem: string,
  file: string,
  what: string,
  allowPublic = false,
): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    if (allowPublic) {
      try {
        return createPublicKey(pem);
      } catch {
        // neither: the error below names what was expected
      }
    }
    throw kind.fail(
      `the ${kind.label} ${what} ${file} is not a PEM ${allowPublic ? 'RSA key' : 'private key'}`,
      {
        cause: err,
      },
    );
  }
}

/** A new RSA key written to `file` (PKCS#8 PEM, private mode, synced); the caller renames it into place. */
export function writeNewRsaKey(file: string, bits: number): void {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const fd = fs.openSync(file, 'w', PRIVATE_FILE_MODE);
  try {
    fs.writeFileSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
