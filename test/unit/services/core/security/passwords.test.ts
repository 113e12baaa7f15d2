import { describe, expect, it } from '@jest/globals';
import { checkPassword, hashPassword, verifyPassword } from '../../../../../src/services/core/security/passwords.js';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
  });

  it('salts each hash, so equal passwords do not look equal', async () => {
    expect(await hashPassword('same password here')).not.toBe(await hashPassword('same password here'));
  });

  it('refuses a stored value it cannot read rather than throwing', async () => {
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
    expect(await verifyPassword('anything', '')).toBe(false);
  });

  it('checks a sign-in: the right password of an account passes; a wrong one, no password or no account does not', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await checkPassword('correct horse battery', stored)).toBe(true);
    expect(await checkPassword('correct horse batterY', stored)).toBe(false);
    expect(await checkPassword('correct horse battery', null)).toBe(false);
    expect(await checkPassword('correct horse battery', undefined)).toBe(false);
  });
});
