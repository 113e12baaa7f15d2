/**
 * Certificate bundles from settings, read where they are used: the extra CA
 * (GYRE_EXTRA_CA_CERTS_FILE) by image builds and the agent, which gives it to jobs; the services
 * box's CA (GYRE_SERVICES_CA_FILE) by the agent, which trusts it for the builder protocol.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
// The namespace, not named imports: the two functions trustAlso uses are Node 22.15's, and a named
// import of them would stop the whole CLI from loading on an older Node, where `gyre status` runs.
import * as tls from 'node:tls';
import { ExitCode, GyreError, InvalidInputError, messageOf } from './errors.js';

const CERTIFICATE_BLOCKS = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The bundle's certificates as PEM text; an unreadable file, or one without a certificate, names the setting and how to fix it. */
export function readExtraCa(file: string, setting = 'GYRE_EXTRA_CA_CERTS_FILE'): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(setting, [
      {
        input: file,
        message: `cannot be read: ${messageOf(error)}`,
        hint: `point ${setting} at a readable PEM bundle`,
      },
    ]);
  }
  const certificates = content.match(CERTIFICATE_BLOCKS);
  if (certificates === null) {
    throw new InvalidInputError(setting, [
      {
        input: file,
        message: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
        hint: 'point it at a PEM bundle, such as /etc/ssl/certs/ca-certificates.crt',
      },
    ]);
  }
  // Only the certificates: whatever else the file holds (a key, by mistake) never reaches a job.
  return `${certificates.join('\n')}\n`;
}

/**
 * Adds the certificates of `file` to the ones this process trusts for every TLS connection,
 * fetch's included, beside those it trusted already (Node's own list and NODE_EXTRA_CA_CERTS).
 */
export function trustAlso(file: string, setting: string): void {
  if (trusted.has(file)) return;
  if (typeof tls.setDefaultCACertificates !== 'function')
    throw new GyreError(
      `${setting} (${file}) needs Node.js 22.15 or later to be trusted; this is ${process.version}: run gyre with a newer Node.js`,
      ExitCode.invalidInput,
    );
  const added = readExtraCa(file, setting).match(CERTIFICATE_BLOCKS) ?? [];
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...added]);
  trusted.add(file);
}

/**
 * Whether `file` holds a certificate that signed itself and can be read here: the one kind that
 * trusting the certificate itself makes acceptable (Node takes no leaf of a longer chain as an
 * anchor). A path on another host (`gyre up --host`) is not readable here, and is no answer.
 */
export function isReadableSelfSigned(file: string): boolean {
  try {
    const certificate = new X509Certificate(readFileSync(file));
    return certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey);
  } catch {
    return false;
  }
}

/** Files trusted already: each is added once, however many clients ask for it. */
const trusted = new Set<string>();
