import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import {
  decrypting,
  encryptedSize,
  encrypting,
  plainSize,
  setKey,
} from '../../../../src/orchestrator/backup/passphrase-encryption.js';
import { InvalidInputError } from '../../../../src/shared/errors.js';

const KIB = 1024;

async function through(transform: Transform, input: Buffer, pieceBytes = 10_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += pieceBytes) pieces.push(input.subarray(at, at + pieceBytes));
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(transform)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('passphrase encryption of backup files', () => {
  const set = mkdtempSync(join(tmpdir(), 'gyre-enc-'));
  const key = setKey(set, 'correct horse battery staple', 'create');

  it.each([0, 1, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, 200 * KIB])(
    'gives back %i bytes as they were, at the size it predicts',
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await through(encrypting(key, 'f'), plain);
      expect(sealed.length).toBe(encryptedSize(size));
      expect(plainSize(sealed.length)).toBe(size);
      expect((await through(decrypting(key, 'f'), sealed, 7_000)).equals(plain)).toBe(true);
    },
  );

  it('fails, naming the file and the chunk, on a flipped byte, a cut at a chunk boundary, swapped chunks or another file', async () => {
    const sealed = await through(encrypting(key, 'blobs/ab/x'), randomBytes(150 * KIB));
    const flipped = Buffer.from(sealed);
    flipped[100] = flipped[100]! ^ 1;
    await expect(through(decrypting(key, 'blobs/ab/x'), flipped)).rejects.toThrow(
      'blobs/ab/x cannot be decrypted: chunk 0 does not open',
    );
    const record = 12 + 64 * KIB + 16;
    const cut = sealed.subarray(0, 8 + 2 * record);
    await expect(through(decrypting(key, 'blobs/ab/x'), cut)).rejects.toThrow('chunk 1 does not open');
    // The same bytes under another name: a file cannot stand in for another.
    await expect(through(decrypting(key, 'blobs/cd/y'), sealed)).rejects.toThrow(
      'blobs/cd/y cannot be decrypted: chunk 0 does not open',
    );
    const swapped = Buffer.concat([
      sealed.subarray(0, 8),
      sealed.subarray(8 + record, 8 + 2 * record),
      sealed.subarray(8, 8 + record),
      sealed.subarray(8 + 2 * record),
    ]);
    await expect(through(decrypting(key, 'blobs/ab/x'), swapped)).rejects.toThrow('chunk 0 does not open');
    await expect(through(decrypting(key, 'f'), Buffer.from('plain text'))).rejects.toThrow(
      'is not an encrypted backup file',
    );
  });

  it('opens the set with its passphrase, and refuses another one or a set without its salt', async () => {
    const again = setKey(set, 'correct horse battery staple', 'open');
    const sealed = await through(encrypting(key, 'f'), Buffer.from('x'));
    expect((await through(decrypting(again, 'f'), sealed)).toString()).toBe('x');
    expect(() => setKey(set, 'wrong horse', 'open')).toThrow(InvalidInputError);
    expect(() => setKey(set, 'wrong horse', 'create')).toThrow(/--passphrase-file: does not hold the passphrase/);
    expect(() => setKey(mkdtempSync(join(tmpdir(), 'gyre-enc-')), 'x', 'open')).toThrow(/encryption\.json: is missing/);
    const damaged = mkdtempSync(join(tmpdir(), 'gyre-enc-'));
    writeFileSync(join(damaged, 'encryption.json'), '{"format": 1,');
    expect(() => setKey(damaged, 'x', 'open')).toThrow(/encryption\.json: is not an encryption record this Gyre reads/);
  });
});
