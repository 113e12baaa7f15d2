import { afterAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { cleanupBuilder, runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import type { RunJobOptions, Step } from '../../src/builder/runner/index.js';
import { image, makeJob, RecordingSink, run } from '../support/runner-jobs.js';
import { FakeTransfers, filesInArchive } from '../support/fake-transfers.js';

// GIVEN the local engine, a job image with no tar, curl or anything else added, and the services
// box's side of the transfers in memory (the builder protocol's routes are tested elsewhere),
// WHEN one job saves a cache and persists to the workspace and a later job, in a fresh container,
// restores and attaches them, THEN the files are where CircleCI would put them, owned by the job's
// user, and the artifacts and test results hold exactly the step's paths.

const docker = new Docker();
const backend = new DockerJobBackend(docker);
const BUILDER = `data-steps-test-${process.pid}`;
const options: RunJobOptions = {
  builderName: BUILDER,
  slot: { cpus: 1, memoryBytes: 256 * 1024 ** 2 },
  killGraceMs: 500,
};

const data = <T extends Step['type']>(type: T, fields: object): Step =>
  ({ type, name: type, when: 'on_success', ...fields }) as Step;

afterAll(async () => {
  await cleanupBuilder(backend, BUILDER);
});

describe('data steps on the local Docker Engine', () => {
  it('carries a cache and a workspace from one job to the next, and stores artifacts and test results', async () => {
    const transfers = new FakeTransfers();
    const first = makeJob(
      [
        run(
          [
            'mkdir -p ~/project/dist ~/project/results ~/.cache/deps',
            'echo bundle > ~/project/dist/app.js',
            'echo dependency > ~/.cache/deps/lib.txt',
            'echo "<testsuite/>" > ~/project/results/junit.xml',
            'echo lockfile > ~/project/package-lock.json',
          ].join(' && '),
        ),
        data('save_cache', { key: 'deps-{{ .Branch }}-{{ checksum "package-lock.json" }}', paths: ['~/.cache/deps'] }),
        data('persist_to_workspace', { root: '.', paths: ['dist'] }),
        data('store_artifacts', { path: 'dist', destination: 'bundle' }),
        data('store_test_results', { path: 'results' }),
      ],
      { docker: { primary: image({ environment: { HOME: '/tmp/home' } }), services: [] } },
    );
    const firstSink = new RecordingSink();
    expect(await runJob(backend, { ...first, transfers }, firstSink, options)).toEqual({ outcome: 'success' });

    expect(transfers.caches.map((c) => c.key)).toEqual([expect.stringMatching(/^deps-main-[A-Za-z0-9+/]+=*$/)]);
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([['tmp/home/.cache/deps/lib.txt', 'dependency\n']]),
    );
    expect(await filesInArchive(transfers.artifacts[0]!)).toEqual(new Map([['bundle/app.js', 'bundle\n']]));
    expect([...(await filesInArchive(transfers.testResults[0]!)).keys()]).toEqual(['results/junit.xml']);
    transfers.addLayer('build', transfers.uploadedLayers[0]!);

    // A later job runs as another user, in a fresh container, and finds the cache by its prefix.
    const second = makeJob(
      [
        data('restore_cache', { keys: ['deps-feature-', 'deps-'] }),
        data('attach_workspace', { at: '/tmp/workspace' }),
        run(
          'cat ~/.cache/deps/lib.txt /tmp/workspace/dist/app.js; stat -c %u ~/.cache/deps/lib.txt /tmp/workspace/dist/app.js',
        ),
      ],
      { docker: { primary: image({ user: '65534:65534', environment: { HOME: '/tmp/home' } }), services: [] } },
    );
    const secondSink = new RecordingSink();
    const secondResult = await runJob(backend, { ...second, transfers }, secondSink, options);
    expect([secondResult, secondSink.text(3)]).toEqual([{ outcome: 'success' }, 'dependency\nbundle\n65534\n65534\n']);
    expect(secondSink.text(1)).toContain(`Found a cache for key ${transfers.caches[0]!.key}`);
  }, 120_000);

  it('fails persist_to_workspace on a missing path, naming it, and only warns for a missing cache path', async () => {
    const transfers = new FakeTransfers();
    const job = makeJob([
      data('save_cache', { key: 'k', paths: ['~/nothing-here'] }),
      data('persist_to_workspace', { root: '/tmp', paths: ['missing'] }),
    ]);
    const sink = new RecordingSink();
    const result = await runJob(backend, { ...job, transfers }, sink, options);
    expect(sink.text(1)).toContain('Warning: /root/nothing-here does not exist');
    expect(transfers.caches).toEqual([]);
    expect(result.outcome).toBe('failed');
    expect(result.message).toContain('/tmp/missing does not exist');
  }, 60_000);
});
