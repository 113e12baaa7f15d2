import { describe, expect, it } from '@jest/globals';
import { readSshPrivateKey } from '../../../../../src/services/core/security/ssh-private-key.js';
import { opensshFingerprints, sshKeyText, type SshKeyFixture } from '../../../../support/ssh-key-fixtures.js';

// GIVEN private keys made by ssh-keygen, WHEN a maintainer gives one, THEN Gyre reads its public
// half and fingerprints as OpenSSH does, and refuses what a job could not use, saying why.

describe('readSshPrivateKey', () => {
  it.each(['rsa-pem.key', 'ed25519.key', 'ecdsa.key'] as const)(
    'reads %s with the fingerprints ssh-keygen printed',
    (name: SshKeyFixture) => {
      const key = readSshPrivateKey(sshKeyText(name), 'privateKey');
      expect(key).toMatchObject({ fingerprints: opensshFingerprints(name) });
    },
  );

  it('gives the public half as its .pub file has it, without the comment', () => {
    const key = readSshPrivateKey(sshKeyText('ed25519.key'), 'privateKey');
    expect('publicKey' in key && key.publicKey).toBe(sshKeyText('ed25519.pub').trim());
  });

  it("keeps a key pasted from a browser's form (CRLF, spaces around) as ssh reads it: LF and a final newline", () => {
    const text = sshKeyText('ed25519.key');
    const key = readSshPrivateKey(`\r\n  ${text.replaceAll('\n', '\r\n')}  `, 'privateKey');
    expect('privateKey' in key && key.privateKey).toBe(text);
  });

  it.each([
    ['a key with a passphrase', sshKeyText('ed25519-passphrase.key'), /passphrase/],
    ['a public key', sshKeyText('ed25519.pub'), /public key; Gyre needs the private half/],
    ['a PKCS#8 key', sshKeyText('ed25519-pkcs8.key'), /a PKCS#8 key, which Gyre cannot read/],
    ['a PuTTY key file', 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n', /a PuTTY key file/],
    ['text that is no key', 'hello', /not an SSH private key/],
    ['a key over 16 KiB', `${sshKeyText('ed25519.key')}${'x'.repeat(17_000)}`, /larger than 16384 bytes/],
  ])('refuses %s, naming the input and how to fix it', (_, text, message) => {
    const problem = readSshPrivateKey(text, 'privateKey');
    expect(problem).toMatchObject({ input: 'privateKey', message: expect.stringMatching(message) });
    expect(problem).toHaveProperty('hint');
  });
});
