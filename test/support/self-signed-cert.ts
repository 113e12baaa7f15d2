/**
 * A self-signed certificate for 127.0.0.1 (or another host), made with openssl in a folder of its own, for tests of
 * TLS listeners and clients that trust it by a CA file (GYRE_TLS_*, NODE_EXTRA_CA_CERTS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCert {
  readonly certFile: string;
  readonly keyFile: string;
  /** Removes the folder. */
  remove(): void;
}

export function makeSelfSignedCert(host = '127.0.0.1'): SelfSignedCert {
  const altName = /^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
  const folder = mkdtempSync(join(tmpdir(), 'gyre-tls-'));
  const certFile = join(folder, 'cert.pem');
  const keyFile = join(folder, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2'].concat([
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=${altName}`,
    ]),
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
