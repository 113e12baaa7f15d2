import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { IdentityFile } from '../../../../src/builder/agent/identity-file.js';

const ignoreDamage = (): void => undefined;

describe('IdentityFile', () => {
  it('keeps the identity for the same services box and name, readable by its owner only', async () => {
    const file = new IdentityFile(join(mkdtempSync(join(tmpdir(), 'gyre-id-')), 'state'), ignoreDamage);
    await file.save('http://10.0.0.5', 'b1', { builderId: 7, credential: 'secret' });
    expect(await file.load('http://10.0.0.5', 'b1')).toEqual({
      builderId: 7,
      credential: 'secret',
      servicesUrl: 'http://10.0.0.5',
    });
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toMatchObject({ servicesUrl: 'http://10.0.0.5', name: 'b1' });
  });

  it("does not hand one box's identity to another box or name", async () => {
    const file = new IdentityFile(mkdtempSync(join(tmpdir(), 'gyre-id-')), ignoreDamage);
    await file.save('http://10.0.0.5', 'b1', { builderId: 7, credential: 'secret' });
    expect(await file.load('http://10.0.0.6', 'b1')).toBeUndefined();
    expect(await file.load('http://10.0.0.5', 'b2')).toBeUndefined();
  });

  it('keeps the identity for the address the builder was moved from, the same install restored elsewhere, and no other', async () => {
    const file = new IdentityFile(mkdtempSync(join(tmpdir(), 'gyre-id-')), ignoreDamage);
    await file.save('http://10.0.0.5', 'b1', { builderId: 7, credential: 'secret' });
    expect(await file.load('http://10.0.0.9', 'b1', 'http://10.0.0.5')).toEqual({
      builderId: 7,
      credential: 'secret',
      servicesUrl: 'http://10.0.0.5',
    });
    expect(await file.load('http://10.0.0.9', 'b1', 'http://10.0.0.6')).toBeUndefined();
    expect(await file.load('http://10.0.0.9', 'b2', 'http://10.0.0.5')).toBeUndefined();
  });

  it('treats a missing or damaged file as no identity, and says why a damaged one is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-id-'));
    const reasons: string[] = [];
    const file = new IdentityFile(dir, (reason) => reasons.push(reason));
    expect(await file.load('http://x', 'b1')).toBeUndefined();
    expect(reasons).toEqual([]);
    writeFileSync(file.path, '{not json');
    expect(await file.load('http://x', 'b1')).toBeUndefined();
    writeFileSync(file.path, '{"builderId": "seven"}');
    expect(await file.load('http://x', 'b1')).toBeUndefined();
    expect(reasons).toEqual([
      expect.stringMatching(/builder-identity\.json is not JSON/),
      expect.stringMatching(/builder-identity\.json does not hold an identity/),
    ]);
  });
});
