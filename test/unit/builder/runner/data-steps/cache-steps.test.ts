import { beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { zstdCompressSync } from 'node:zlib';
import { HelperExitError } from '../../../../../src/docker/index.js';
import type { DataStepContext } from '../../../../../src/builder/runner/data-steps/data-step-context.js';
import { runDataStep, type DataStep } from '../../../../../src/builder/runner/data-steps/run-data-step.js';
import { FakeJobBackend } from '../../../../support/fake-job-backend.js';
import { FakeTransfers, filesInArchive } from '../../../../support/fake-transfers.js';
import { makeJob } from '../../../../support/runner-jobs.js';

// GIVEN a primary container's files (in memory) and the services box's caches (in memory),
// WHEN save_cache and restore_cache run, THEN keys render from the job, caches hold absolute
// paths, an existing key is never overwritten, and a fresh container gets the files back.

let backend: FakeJobBackend;
let transfers: FakeTransfers;
let logs: string[];

function context(primary: string): DataStepContext {
  return {
    backend,
    primary,
    transfers,
    places: { home: '/home/circleci', workingDirectory: '~/project' },
    owner: { uid: 1000, gid: 1000 },
    arch: 'arch1-linux-amd64-6_85',
    job: makeJob([]),
    log: (line) => logs.push(line),
  };
}

const save = (key: string, paths: string[]): DataStep => ({
  type: 'save_cache',
  name: 'save',
  when: 'on_success',
  key,
  paths,
});
const restore = (keys: string[]): DataStep => ({ type: 'restore_cache', name: 'restore', when: 'on_success', keys });

beforeEach(() => {
  backend = new FakeJobBackend();
  transfers = new FakeTransfers();
  logs = [];
  const files = backend.filesOf('a');
  files.write('/home/circleci/project/package-lock.json', 'lock');
  files.write('/home/circleci/.npm/pkg.tgz', 'npm');
  files.write('/home/circleci/project/node_modules/x/index.js', 'x');
});

describe('save_cache', () => {
  it('renders the key from the job and keeps the paths by their absolute names', async () => {
    expect(
      (
        await runDataStep(
          context('a'),
          save('npm-{{ .Branch }}-{{ checksum "package-lock.json" }}', ['~/.npm', 'node_modules']),
        )
      ).exitCode,
    ).toBe(0);
    const sum = createHash('sha256').update('lock').digest('base64');
    expect(transfers.caches.map((c) => c.key)).toEqual([`npm-main-${sum}`]);
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([
        ['home/circleci/.npm/pkg.tgz', 'npm'],
        ['home/circleci/project/node_modules/x/index.js', 'x'],
      ]),
    );
  });

  it('does not overwrite an existing key, and says so', async () => {
    await runDataStep(context('a'), save('fixed', ['~/.npm']));
    backend.filesOf('a').write('/home/circleci/.npm/pkg.tgz', 'changed');
    await runDataStep(context('a'), save('fixed', ['~/.npm']));
    expect(transfers.caches).toHaveLength(1);
    expect(logs.at(-1)).toBe('Skipping cache generation: a cache already exists for key fixed (caches are immutable)');
  });

  it('warns about a missing path and saves nothing when no path exists', async () => {
    expect((await runDataStep(context('a'), save('k', ['~/.gradle']))).exitCode).toBe(0);
    expect(logs).toEqual([
      'Warning: /home/circleci/.gradle does not exist; it is not in the cache',
      'No paths to cache: nothing was saved for key k',
    ]);
    expect(transfers.caches).toEqual([]);
  });
});

describe('restore_cache', () => {
  it('restores the newest cache by prefix into a fresh container', async () => {
    await runDataStep(context('a'), save('npm-old', ['~/.npm']));
    backend.filesOf('a').write('/home/circleci/.npm/pkg.tgz', 'newer');
    await runDataStep(context('a'), save('npm-new', ['~/.npm']));
    expect((await runDataStep(context('b'), restore(['npm-{{ .Branch }}-', 'npm-']))).exitCode).toBe(0);
    expect(backend.filesOf('b').read('/home/circleci/.npm/pkg.tgz')).toBe('newer');
    expect(logs.at(-1)).toBe('Restored cache npm-new');
  });

  it('finds nothing without failing the job', async () => {
    expect((await runDataStep(context('b'), restore(['none-']))).exitCode).toBe(0);
    expect(logs).toEqual(['No cache is found for keys: none-']);
  });
});

describe('through a helper container', () => {
  const helper = {
    image: 'gyre/app:test',
    labels: { 'io.gyre.job': '7' },
    network: 'gyre-job-7',
    placement: { cgroup: { under: 'a' } },
  };
  const withHelper = (primary: string): DataStepContext => ({ ...context(primary), helper });
  beforeEach(() => {
    // Running primaries, which the probe for linked paths is run in.
    for (const id of ['a', 'b', 'c'])
      backend.containers.set(id, { name: id, labels: {}, spec: { image: 'job', labels: {} } });
  });
  /** A helper's stdout that ends, once read, as one that exited with `status`. */
  const exiting = (status: number, stderr: string) => () =>
    new Readable({
      read() {
        this.destroy(new HelperExitError(status, stderr));
      },
    });

  it("saves the helper's tar as it comes, asking the helper for the job's paths as the job's user", async () => {
    const archive = zstdCompressSync(Buffer.from('a tar of the paths'));
    backend.helperStream = () => Readable.from([archive]);

    expect((await runDataStep(withHelper('a'), save('npm-v1', ['~/.npm', 'node_modules']))).exitCode).toBe(0);

    expect(transfers.caches).toEqual([{ key: 'npm-v1', archive }]);
    expect(backend.streamed).toEqual([
      expect.objectContaining({
        image: 'gyre/app:test',
        user: '1000:1000',
        pidOf: 'a',
        network: { name: 'gyre-job-7' },
        // In the job's cgroup, held to its limits with the primary.
        cgroup: { under: 'a' },
        labels: helper.labels,
        cmd: ['/', 'home/circleci/.npm', 'home/circleci/project/node_modules'],
      }),
    ]);
  });

  it('takes paths under a symbolic link through the archive API, without a helper', async () => {
    backend.linkedPaths.add('/home/circleci/.npm');

    expect((await runDataStep(withHelper('a'), save('npm-v1', ['~/.npm']))).exitCode).toBe(0);

    expect(backend.streamed).toEqual([]);
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([['home/circleci/.npm/pkg.tgz', 'npm']]),
    );
  });

  it('saves through the archive API when the helper fails, saying why', async () => {
    backend.helperStream = exiting(2, 'tar: home/circleci/.npm: Cannot open: Permission denied');

    expect((await runDataStep(withHelper('a'), save('npm-v1', ['~/.npm']))).exitCode).toBe(0);

    expect(logs).toContain(
      "The helper's tar could not move the cache (the helper container exited with code 2: tar: home/circleci/.npm: Cannot open: Permission denied); moving it through the Docker Engine instead",
    );
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([['home/circleci/.npm/pkg.tgz', 'npm']]),
    );
  });

  it('restores by feeding the download to the helper, or through the archive API when it fails', async () => {
    await runDataStep(context('a'), save('npm-v1', ['~/.npm']));
    const fed: Buffer[] = [];
    backend.helperStream = (_spec, stdin) => {
      const stdout = new PassThrough();
      stdin!.on('data', (chunk: Buffer) => fed.push(chunk)).on('end', () => stdout.end());
      return stdout;
    };
    expect((await runDataStep(withHelper('b'), restore(['npm-']))).exitCode).toBe(0);
    expect(Buffer.concat(fed)).toEqual(transfers.caches[0]!.archive);
    expect(backend.filesOf('b').has('/home/circleci/.npm/pkg.tgz')).toBe(false);

    backend.helperStream = exiting(2, 'tar: home/circleci/.npm: Cannot mkdir: Permission denied');
    expect((await runDataStep(withHelper('c'), restore(['npm-']))).exitCode).toBe(0);
    expect(backend.filesOf('c').read('/home/circleci/.npm/pkg.tgz')).toBe('npm');
  });

  it('fails the step, without a second try, when the upload itself fails', async () => {
    backend.helperStream = () => Readable.from([zstdCompressSync(Buffer.from('tar'))]);
    transfers.uploadCache = () => Promise.reject(new Error('GYRE_CACHE_MAX_SIZE (1 KiB) is exceeded'));

    const end = await runDataStep(withHelper('a'), save('npm-v1', ['~/.npm']));

    expect(end).toEqual({
      exitCode: 1,
      reason: 'failed: save_cache could not move its data: GYRE_CACHE_MAX_SIZE (1 KiB) is exceeded',
    });
    expect(logs.some((line) => line.includes('moving it through the Docker Engine'))).toBe(false);
  });
});
