/**
 * Judging a SAML Response with tools that are not ours: `xmlsec1` verifies a signature against
 * a certificate taken from the server's metadata, and an XML parser reads the values back.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';

const execFileAsync = promisify(execFile);
export const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

/** The first certificate of a metadata document, back as PEM, as an outsider would take it. */
export function certificateFromMetadata(metadata: string): string {
  const doc = new DOMParser().parseFromString(metadata, 'text/xml');
  const body = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'X509Certificate')[0]!
    .textContent!;
  const lines = body.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

/** Whether xmlsec1 verifies the Response's (or the Assertion's) signature with `certPem`. */
export async function xmlsecVerify(
  xml: string,
  certPem: string,
  signatureOf: 'Response' | 'Assertion',
): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-xmlsec-'));
  try {
    fs.writeFileSync(path.join(dir, 'r.xml'), xml);
    fs.writeFileSync(path.join(dir, 'cert.pem'), certPem);
    await execFileAsync('xmlsec1', [
      '--verify',
      '--pubkey-cert-pem',
      path.join(dir, 'cert.pem'),
      '--id-attr:ID',
      'urn:oasis:names:tc:SAML:2.0:protocol:Response',
      '--id-attr:ID',
      'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
      '--node-xpath',
      `/*[local-name()='Response']${signatureOf === 'Assertion' ? "/*[local-name()='Assertion']" : ''}/*[local-name()='Signature']`,
      path.join(dir, 'r.xml'),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Attribute name → values. */
export function samlAttributes(xml: string): Map<string, string[]> {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const out = new Map<string, string[]>();
  const list = doc.getElementsByTagNameNS(NS_ASSERTION, 'Attribute');
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    const values = a.getElementsByTagNameNS(NS_ASSERTION, 'AttributeValue');
    out.set(
      a.getAttribute('Name')!,
      Array.from({ length: values.length }, (_, j) => values.item(j)!.textContent ?? ''),
    );
  }
  return out;
}

/** The first element `name` of the assertion namespace. */
export function samlElement(xml: string, name: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.getElementsByTagNameNS(NS_ASSERTION, name).item(0);
}
