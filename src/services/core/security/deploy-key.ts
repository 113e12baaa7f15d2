/**
 * Generates ed25519 deploy keys in OpenSSH's own formats with node's crypto: the public key as
 * one `ssh-ed25519 AAAA… comment` line to paste into GitHub, and the private key as an
 * unencrypted `openssh-key-v1` file, which every OpenSSH reads (PKCS#8 PEM, which node writes,
 * is not read by older ones). Layout per OpenSSH's PROTOCOL.key.
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { fingerprintsOf } from '../../../shared/ssh-keys.js';

/** A new key pair. */
export interface DeployKey {
  /** `ssh-ed25519 <base64> <comment>`: what the repository host is given. */
  readonly publicKey: string;
  /** The private key in OpenSSH format; a secret, sealed at rest. */
  readonly privateKey: string;
}

const KEY_TYPE = 'ssh-ed25519';

export function generateDeployKey(comment: string): DeployKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const publicBlob = concat(sshString(KEY_TYPE), sshString(pub));
  return {
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')} ${comment}`,
    privateKey: privateKeyFile(publicBlob, pub, seed, comment),
  };
}

/** SHA256 fingerprint as `ssh-keygen -l` shows it, for the audit log and the page. */
export function fingerprintOf(publicKey: string): string {
  return fingerprintsOf(Buffer.from(publicKey.split(' ')[1] ?? '', 'base64')).sha256;
}

function privateKeyFile(publicBlob: Buffer, pub: Buffer, seed: Buffer, comment: string): string {
  // The same random check number twice lets a reader tell a wrong passphrase; here there is none.
  const check = uint32(randomInt(0, 2 ** 32));
  const unpadded = concat(
    check,
    check,
    sshString(KEY_TYPE),
    sshString(pub),
    sshString(concat(seed, pub)),
    sshString(comment),
  );
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
  const body = concat(
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(concat(unpadded, padding)),
  );
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return concat(uint32(bytes.length), bytes);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function concat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}
