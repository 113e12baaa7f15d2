import { describe, expect, it } from '@jest/globals';
import { createPublicKey } from 'node:crypto';
import { fingerprintOf, generateDeployKey } from '../../../../../src/services/core/security/deploy-key.js';

/** The length-prefixed strings of an OpenSSH blob, in order. */
function sshStrings(blob: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    const length = blob.readUInt32BE(at);
    parts.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return parts;
}

describe('generateDeployKey', () => {
  it('makes an ssh-ed25519 public key line whose key node reads as the same ed25519 key', () => {
    const key = generateDeployKey('gyre-project-7');
    const [type, base64, comment] = key.publicKey.split(' ');
    expect([type, comment]).toEqual(['ssh-ed25519', 'gyre-project-7']);
    const [name, raw] = sshStrings(Buffer.from(base64!, 'base64'));
    expect(name?.toString()).toBe('ssh-ed25519');
    const jwk = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw!.toString('base64url') }, format: 'jwk' });
    expect(jwk.asymmetricKeyType).toBe('ed25519');
  });

  it('makes an unencrypted openssh-key-v1 private key that embeds the same public key', () => {
    const key = generateDeployKey('c');
    const lines = key.privateKey.trim().split('\n');
    expect(lines[0]).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(lines.at(-1)).toBe('-----END OPENSSH PRIVATE KEY-----');
    const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    expect(body.subarray(0, 15).toString('latin1')).toBe('openssh-key-v1\0');
    // No cipher and no key derivation: the key is sealed at rest by Gyre, not by a passphrase.
    const [cipher, kdf] = sshStrings(body.subarray(15, 15 + 16));
    expect([cipher?.toString(), kdf?.toString()]).toEqual(['none', 'none']);
    expect(body.includes(Buffer.from(key.publicKey.split(' ')[1]!, 'base64'))).toBe(true);
  });

  it('gives every key its own pair and a SHA256 fingerprint', () => {
    const [a, b] = [generateDeployKey('a'), generateDeployKey('b')];
    expect(a.privateKey).not.toBe(b.privateKey);
    expect(fingerprintOf(a.publicKey)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
