import { describe, expect, it } from '@jest/globals';
import { fingerprintsOf, namesKey, normalizeFingerprint, privateKeyBody } from '../../../src/shared/ssh-keys.js';
import { opensshFingerprints, sshKeyText } from '../../support/ssh-key-fixtures.js';

// GIVEN public keys whose fingerprints OpenSSH printed (test/fixtures/ssh-keys), WHEN Gyre
// computes and reads fingerprints, THEN it agrees with ssh-keygen and reads both forms configs use.

const blobOf = (publicKeyLine: string) => Buffer.from(publicKeyLine.split(' ')[1]!, 'base64');

describe('fingerprintsOf', () => {
  it.each([
    ['rsa-pem.pub', 'rsa-pem.key'],
    ['ed25519.pub', 'ed25519.key'],
  ] as const)('gives what ssh-keygen -l prints for %s, in both forms', (pub, key) => {
    expect(fingerprintsOf(blobOf(sshKeyText(pub)))).toEqual(opensshFingerprints(key));
  });
});

describe('normalizeFingerprint', () => {
  const { md5, sha256 } = opensshFingerprints('ed25519.key');

  it('reads MD5 with or without the MD5: prefix, in any letter case, and SHA256 as written', () => {
    expect(normalizeFingerprint(md5)).toBe(md5);
    expect(normalizeFingerprint(`MD5:${md5.toUpperCase()}`)).toBe(md5);
    expect(normalizeFingerprint(` ${sha256} `)).toBe(sha256);
  });

  it.each([
    ['a truncated MD5', '1f:14:46:c9:03:23:dc:96:48:ea:57:01:48:45:1a'],
    ['MD5 without colons', '1f1446c90323dc9648ea570148451aa7'],
    ['SHA256 of the wrong length', 'SHA256:brLzjWArD8EsdtcC2v5MUeFHVA8QtaLhYlyOo'],
    ['SHA256 with padding', `${sha256}=`],
    ['a key name', 'deploy-key'],
  ])('refuses %s', (_, written) => {
    expect(normalizeFingerprint(written)).toBeUndefined();
  });
});

describe('namesKey', () => {
  it('matches a key by either fingerprint, and no other key', () => {
    const key = opensshFingerprints('ed25519.key');
    expect(namesKey(key.md5, key)).toBe(true);
    expect(namesKey(key.sha256, key)).toBe(true);
    expect(namesKey(opensshFingerprints('rsa-pem.key').sha256, key)).toBe(false);
  });
});

describe('privateKeyBody', () => {
  it('is the key without its armour lines, which every key shares, so masking leaves them readable', () => {
    const key = sshKeyText('ed25519.key');
    const body = privateKeyBody(key.replaceAll('\n', '\r\n'));
    expect(body).toBe(key.trim().split('\n').slice(1, -1).join('\n'));
    expect(body).not.toContain('-----');
  });
});
