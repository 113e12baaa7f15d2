/**
 * A self-signed certificate for an evaluation install (`gyre init --self-signed-tls`), made with
 * openssl, which every Linux host has or can install, so Gyre carries no certificate library.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ExitCode, GyreError } from '../shared/errors.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Makes a certificate valid for a year for `hostname`, `localhost` and 127.0.0.1, and its key.
 * The folder is the owner's alone (700) while the key in it is 644, as `gyre render` does for
 * secrets: the stack mounts the key into the app container, whose unprivileged user must read it.
 */
export function makeSelfSignedTls(folder: string, hostname: string, force: boolean): TlsFiles {
  const files = { certFile: join(folder, 'cert.pem'), keyFile: join(folder, 'key.pem') };
  if (!force && (existsSync(files.certFile) || existsSync(files.keyFile)))
    throw new GyreError(
      `${folder} already holds a certificate or key. Pass --force to replace them.`,
      ExitCode.invalidInput,
    );
  const names = [...new Set([hostname, 'localhost', '127.0.0.1'])];
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '365',
        '-keyout',
        files.keyFile,
        '-out',
        files.certFile,
      ]
        .concat(['-subj', `/CN=${hostname}`, '-addext', `subjectAltName=${altNames}`])
        .concat(['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth']),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    rmSync(files.certFile, { force: true });
    rmSync(files.keyFile, { force: true });
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GyreError(
      missing
        ? '--self-signed-tls needs openssl, which is not on the PATH: install it (apt-get install openssl), or set GYRE_TLS_CERT_FILE and GYRE_TLS_KEY_FILE to a certificate of your own'
        : `openssl could not make the certificate: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`,
      missing ? ExitCode.invalidInput : ExitCode.failure,
      { cause: error },
    );
  }
  chmodSync(files.keyFile, 0o644);
  return files;
}
