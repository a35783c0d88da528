/**
 * Judging a SAML Response with tools that are not ours: `xmlsec1` and xml-crypto verify the
 * Assertion's signature against a certificate taken from the server's metadata, and an XML
 * parser reads the values back.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

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

/** Whether xmlsec1 verifies the Assertion's signature with `certPem` (and only with it). */
export async function xmlsecVerify(xml: string, certPem: string): Promise<boolean> {
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
      "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']",
      path.join(dir, 'r.xml'),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** xml-crypto's verdict on the Assertion's signature: a second, independent verifier. */
export function xmlCryptoVerify(xml: string, certPem: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc
    .getElementsByTagNameNS(NS_ASSERTION, 'Assertion')
    .item(0)
    ?.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')
    .item(0);
  if (!signature) return false;
  const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  sig.loadSignature(signature);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
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
