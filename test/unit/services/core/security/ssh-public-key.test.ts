import { describe, expect, it } from '@jest/globals';
import { readSshPublicKey } from '../../../../../src/services/core/security/ssh-public-key.js';
import { opensshFingerprints, sshKeyText } from '../../../../support/ssh-key-fixtures.js';

// Keys made by OpenSSH's ssh-keygen (test/fixtures/ssh-keys), read as a user pastes them.

describe('reading a public key for SSH into builds', () => {
  it("reads an Ed25519 and an RSA .pub line with OpenSSH's fingerprints, keeping the comment apart", () => {
    expect(readSshPublicKey(`${sshKeyText('ed25519.pub').trim()} ada@laptop\r\n`, 'key')).toEqual({
      publicKey: sshKeyText('ed25519.pub').trim(),
      fingerprints: opensshFingerprints('ed25519.key'),
      comment: 'ada@laptop',
    });
    expect(readSshPublicKey(sshKeyText('rsa-pem.pub'), 'key')).toMatchObject({
      fingerprints: opensshFingerprints('rsa-pem.key'),
      comment: '',
    });
  });

  it.each([
    ['a private key', () => sshKeyText('ed25519.key'), /this is a private key: never share it/],
    ['an RSA key under 2048 bits', () => sshKeyText('rsa-1024.pub'), /an RSA key of 1024 bits, under 2048/],
    ['a DSA key', () => sshKeyText('dsa.pub'), /a DSA key, which current OpenSSH no longer accepts/],
    ['two lines', () => `${sshKeyText('ed25519.pub').trim()}\n${sshKeyText('rsa-pem.pub')}`, /more than one line/],
    ['nonsense', () => 'ssh-ed25519 not-base64!', /not a public key line Gyre can read/],
    ['nothing', () => '  ', /is empty/],
  ])('refuses %s, naming the field and saying what to paste', (_what, text, message) => {
    const read = readSshPublicKey(text(), 'key');
    expect(read).toMatchObject({ input: 'key', message: expect.stringMatching(message), hint: expect.any(String) });
  });
});
