import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReadableSelfSigned, readExtraCa } from '../../../src/shared/extra-ca.js';
import { makeSelfSignedCert } from '../../support/self-signed-cert.js';
import { InvalidInputError } from '../../../src/shared/errors.js';

const folder = mkdtempSync(join(tmpdir(), 'gyre-extra-ca-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----';

function file(name: string, content: string): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

describe('readExtraCa', () => {
  it('keeps the certificates only: a key put in the bundle by mistake never reaches an image or a job', () => {
    const text = readExtraCa(file('mixed.pem', `# corporate CAs\n${CERT}\n${KEY}\n${CERT}\n`));
    expect(text).toBe(`${CERT}\n${CERT}\n`);
  });

  it('names the setting for a file without a certificate, and for one it cannot read', () => {
    for (const path of [file('key-only.pem', KEY), join(folder, 'missing.pem')]) {
      expect(() => readExtraCa(path)).toThrow(InvalidInputError);
      expect(() => readExtraCa(path)).toThrow(/GYRE_EXTRA_CA_CERTS_FILE/);
    }
  });
});

describe('isReadableSelfSigned', () => {
  it('is true for a certificate that signed itself, and false for what is not one or cannot be read', () => {
    const cert = makeSelfSignedCert('localhost');
    try {
      expect(isReadableSelfSigned(cert.certFile)).toBe(true);
      expect(isReadableSelfSigned(cert.keyFile)).toBe(false);
      expect(isReadableSelfSigned(file('fake.pem', CERT))).toBe(false);
      expect(isReadableSelfSigned(join(folder, 'on-another-host.pem'))).toBe(false);
    } finally {
      cert.remove();
    }
  });
});
