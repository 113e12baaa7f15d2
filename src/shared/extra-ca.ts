/** The extra CA bundle (GYRE_EXTRA_CA_CERTS_FILE), read where it is used: image builds and the agent, which gives it to jobs. */
import { readFileSync } from 'node:fs';
import { InvalidInputError, messageOf } from './errors.js';

const CERTIFICATE_BLOCKS = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The bundle's certificates as PEM text; an unreadable file, or one without a certificate, names the setting and how to fix it. */
export function readExtraCa(file: string): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError('GYRE_EXTRA_CA_CERTS_FILE', [
      {
        input: file,
        message: `cannot be read: ${messageOf(error)}`,
        hint: 'point GYRE_EXTRA_CA_CERTS_FILE at a readable PEM bundle',
      },
    ]);
  }
  const certificates = content.match(CERTIFICATE_BLOCKS);
  if (certificates === null) {
    throw new InvalidInputError('GYRE_EXTRA_CA_CERTS_FILE', [
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
