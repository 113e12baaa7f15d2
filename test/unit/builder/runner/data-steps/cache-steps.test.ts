import { beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
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
