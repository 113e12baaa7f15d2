import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { withSpooledFile } from '../../../../src/builder/agent/spooled-file.js';

// Each test spools under a folder of its own (the agent's default is os.tmpdir()), to see what is left.
let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'spool-test-'));
});

afterEach(() => rm(folder, { recursive: true, force: true }));

const chunks = [Buffer.from('a cache, '), Buffer.from('in '), Buffer.from('chunks')];

describe('withSpooledFile', () => {
  it('gives the file with the sha256 and size of the bytes, then removes it', async () => {
    const seen = await withSpooledFile(
      Readable.from(chunks),
      async (file) => {
        expect(file.path.startsWith(folder)).toBe(true);
        return { ...file, content: await readFile(file.path, 'utf8') };
      },
      folder,
    );
    expect(seen).toMatchObject({
      content: 'a cache, in chunks',
      digest: createHash('sha256').update('a cache, in chunks').digest('hex'),
      size: 18,
    });
    expect(await readdir(folder)).toEqual([]);
  });

  it('removes the file when the upload fails, passing the failure on', async () => {
    const failed = withSpooledFile(
      Readable.from(chunks),
      () => Promise.reject(new Error('the bucket said no')),
      folder,
    );
    await expect(failed).rejects.toThrow('the bucket said no');
    expect(await readdir(folder)).toEqual([]);
  });

  it('removes what was spooled when the body fails, without calling the upload', async () => {
    const broken = Readable.from(
      (function* () {
        yield Buffer.from('half an archive');
        throw new Error('the container went away');
      })(),
    );
    let called = false;
    const failed = withSpooledFile(broken, () => Promise.resolve((called = true)), folder);
    await expect(failed).rejects.toThrow('the container went away');
    expect(called).toBe(false);
    expect(await readdir(folder)).toEqual([]);
  });
});
