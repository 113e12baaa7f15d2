import { describe, expect, it } from '@jest/globals';
import { createSecretBox } from '../../../../../src/services/core/security/secret-box.js';
import {
  generateApiToken,
  hashApiToken,
  looksLikeApiToken,
} from '../../../../../src/services/stores/accounts/api-tokens.js';

const key = Buffer.alloc(32, 1).toString('base64');

describe('createSecretBox', () => {
  it('opens what it sealed, and seals the same text differently each time', () => {
    const box = createSecretBox(key);
    const [a, b] = [box.seal('hunter2'), box.seal('hunter2')];
    expect(a.equals(b)).toBe(false);
    expect(box.open(a)).toBe('hunter2');
    expect(a.includes(Buffer.from('hunter2'))).toBe(false);
  });

  it('refuses a value sealed with another installation key', () => {
    const sealed = createSecretBox(key).seal('secret');
    expect(() => createSecretBox(Buffer.alloc(32, 2).toString('base64')).open(sealed)).toThrow();
  });

  it('refuses a tampered value', () => {
    const sealed = createSecretBox(key).seal('secret');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => createSecretBox(key).open(sealed)).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => createSecretBox(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

describe('API tokens', () => {
  it('carry a recognisable prefix and are stored only as a hash', () => {
    const { token, hash, displayPrefix } = generateApiToken();
    expect(looksLikeApiToken(token)).toBe(true);
    expect(token.startsWith(displayPrefix)).toBe(true);
    expect(hash.equals(hashApiToken(token))).toBe(true);
    expect(hash.toString('utf8')).not.toContain(token);
  });

  it('are different every time', () => {
    expect(generateApiToken().token).not.toBe(generateApiToken().token);
  });

  it('tells malformed tokens apart before any database look-up', () => {
    expect(looksLikeApiToken('gyre_pat_short')).toBe(false);
    expect(looksLikeApiToken(`ghp_${'a'.repeat(43)}`)).toBe(false);
  });
});
