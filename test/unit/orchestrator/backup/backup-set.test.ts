import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fileProblems, findBackup } from '../../../../src/orchestrator/backup/backup-set.js';
import { backupNameAt, blobPath, type Manifest } from '../../../../src/protocol/backup-manifest.js';
import { InvalidInputError } from '../../../../src/shared/errors.js';

const DIGEST = 'ab'.repeat(32);

function manifestWith(files: Manifest['files']): Manifest {
  return {
    format: 1,
    createdAt: '2026-12-07T09:30:00.000Z',
    gyre: '0.1.0',
    schema: 28,
    postgres: '15.18',
    keyCheck: 'c2VhbGVk',
    database: { user: 'gyre', name: 'gyre' },
    blobStore: { kind: 'file', root: '/var/lib/gyre/blobs' },
    tables: { projects: 1 },
    files,
  };
}

const dumpOf = (name: string) => ({ path: `${name}/database.pgdump`, size: 0, sha256: 'e3'.repeat(32) });

/** A backup set on disk: the backups named, each with the manifest given. */
function setWith(backups: Record<string, unknown>): string {
  const set = mkdtempSync(join(tmpdir(), 'gyre-set-'));
  for (const [name, manifest] of Object.entries(backups)) {
    mkdirSync(join(set, name));
    if (manifest !== undefined)
      writeFileSync(
        join(set, name, 'manifest.json'),
        typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
      );
  }
  return set;
}

function problemsOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidInputError');
}

describe('a backup set on disk', () => {
  it('names backups by their UTC time and blobs by their digest', () => {
    expect(backupNameAt(new Date('2026-12-07T09:30:05.123Z'))).toBe('2026-12-07T09-30-05Z');
    expect(blobPath(DIGEST)).toBe(`blobs/ab/${DIGEST}`);
  });

  it('finds the newest finished backup in a set, passing over one without a manifest', () => {
    const set = setWith({
      '2026-12-06T09-00-00Z': manifestWith([dumpOf('2026-12-06T09-00-00Z')]),
      '2026-12-07T09-00-00Z': manifestWith([dumpOf('2026-12-07T09-00-00Z')]),
      '2026-12-08T09-00-00Z': undefined,
    });
    const found = findBackup(set);
    expect(found.dir).toBe(join(set, '2026-12-07T09-00-00Z'));
    expect(found.setDir).toBe(set);
    expect(findBackup(join(set, '2026-12-06T09-00-00Z')).dir).toBe(join(set, '2026-12-06T09-00-00Z'));
  });

  it('refuses what is not a backup, naming the path and how to fix it', () => {
    const set = setWith({});
    expect(problemsOf(() => findBackup(join(set, 'nope')))).toContain('is not a folder');
    expect(problemsOf(() => findBackup(set))).toMatch(
      /holds no manifest\.json, and no folder in it does[\s\S]*did not finish/,
    );
    const broken = setWith({ '2026-12-07T09-00-00Z': '{"format": 1,' });
    expect(problemsOf(() => findBackup(broken))).toMatch(/manifest\.json: is not readable JSON[\s\S]*damaged/);
  });

  it("refuses a manifest whose plain blob's checksum is not the digest in its name", () => {
    const name = '2026-12-07T09-00-00Z';
    const set = setWith({
      [name]: manifestWith([dumpOf(name), { path: blobPath(DIGEST), size: 1, sha256: 'cd'.repeat(32) }]),
    });
    expect(problemsOf(() => findBackup(set))).toContain(
      `files.1.sha256: is not the digest its name ${blobPath(DIGEST)} says`,
    );
  });

  it('refuses a manifest that does not cover its own dump', () => {
    const set = setWith({ '2026-12-07T09-00-00Z': manifestWith([]) });
    expect(problemsOf(() => findBackup(set))).toContain('lists no 2026-12-07T09-00-00Z/database.pgdump');
  });

  it('lists every problem of a manifest this Gyre cannot read at once', () => {
    const set = setWith({
      '2026-12-07T09-00-00Z': {
        ...manifestWith([]),
        format: 2,
        schema: -1,
        files: [{ path: '../../etc/passwd', size: 1, sha256: 'x' }],
      },
    });
    const message = problemsOf(() => findBackup(set));
    expect(message).toContain('format');
    expect(message).toContain('schema');
    expect(message).toContain('files.0.path');
    expect(message).toContain('is none of the files a backup holds');
    expect(message).toContain('files.0.sha256');
  });

  it("names each file that is missing or whose size or SHA-256 differs from the manifest's", async () => {
    const name = '2026-12-07T09-00-00Z';
    const files = [
      // SHA-256 of "dump\n"
      {
        path: `${name}/database.pgdump`,
        size: 5,
        sha256: 'ce5c6fd23a85d0b00cf3a9e06ddc3ab4ce9e2b8e2f5df5eb5e7ba6bb1c8d1f41',
      },
      { path: blobPath(DIGEST), size: 3, sha256: DIGEST },
      { path: `blobs/cd/${'cd'.repeat(32)}`, size: 1, sha256: 'cd'.repeat(32) },
    ];
    const set = setWith({ [name]: manifestWith(files) });
    writeFileSync(join(set, name, 'database.pgdump'), 'dump\n');
    mkdirSync(join(set, 'blobs', 'ab'), { recursive: true });
    writeFileSync(join(set, blobPath(DIGEST)), 'four');
    const problems = await fileProblems(findBackup(set), () => undefined);
    expect(problems).toEqual([
      expect.stringMatching(/^database\.pgdump: SHA-256 [0-9a-f]{64}, the manifest says ce5c6f/),
      `${blobPath(DIGEST)}: 4 bytes, the manifest says 3`,
      `blobs/cd/${'cd'.repeat(32)}: missing`,
    ]);
  });
});
