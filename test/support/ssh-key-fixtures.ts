/** The test SSH keys under test/fixtures/ssh-keys, with the fingerprints OpenSSH printed for them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/shared/package-files.js';

const DIR = join(packageRoot, 'test/fixtures/ssh-keys');

export type SshKeyFixture = 'rsa-pem.key' | 'ed25519.key' | 'ecdsa.key';

/** A key file's text. */
export function sshKeyText(
  name:
    | SshKeyFixture
    | 'ed25519-passphrase.key'
    | 'ed25519-pkcs8.key'
    | 'rsa-pem.pub'
    | 'ed25519.pub'
    | 'rsa-1024.pub'
    | 'dsa.pub',
): string {
  return readFileSync(join(DIR, name), 'utf8');
}

/** What `ssh-keygen -l -E md5` and `ssh-keygen -l` printed for the key. */
export function opensshFingerprints(name: SshKeyFixture): { md5: string; sha256: string } {
  const all = JSON.parse(readFileSync(join(DIR, 'fingerprints.json'), 'utf8')) as Record<
    string,
    { md5: string; sha256: string }
  >;
  return all[name]!;
}
