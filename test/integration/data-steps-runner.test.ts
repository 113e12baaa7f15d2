import { afterAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { cleanupBuilder, runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import type { RunJobOptions, RunnerJob, Step } from '../../src/builder/runner/index.js';
import type { Readable } from 'node:stream';
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
/** The agent's image, which `gyre images build` makes (the integration set-up builds it). */
const HELPER_IMAGE = 'gyre/app:0.1.0';
const options: RunJobOptions = {
  builderName: BUILDER,
  room: { cpus: 1, memoryBytes: 256 * 1024 ** 2 },
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

describe('caches and workspaces through a helper container of the agent image', () => {
  /** The real backend, counting the archive API calls that the helper's tar makes unneeded. */
  class CountingBackend extends DockerJobBackend {
    archiveCalls = 0;
    override getArchive(containerId: string, path: string): Promise<Readable> {
      this.archiveCalls += 1;
      return super.getArchive(containerId, path);
    }
    override putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
      this.archiveCalls += 1;
      return super.putArchive(containerId, path, tar);
    }
  }
  const counting = new CountingBackend(docker);
  /** Every job's start puts the test-splitting tool into its primary (test-splitting.ts). */
  const AT_START = 1;
  const asNobody = {
    docker: { primary: image({ user: '65534:65534', environment: { HOME: '/tmp/home' } }), services: [] },
  };

  /** Runs a job with the agent's image as the helper; its steps' archive API calls counted. */
  async function runWithHelper(job: RunnerJob, transfers: FakeTransfers, sink = new RecordingSink()) {
    counting.archiveCalls = 0;
    const result = await runJob(counting, { ...job, transfers }, sink, { ...options, helperImage: HELPER_IMAGE });
    return { result, archiveCalls: counting.archiveCalls - AT_START, sink };
  }
  const succeeded = { result: { outcome: 'success' }, archiveCalls: 0 };

  it("saves as root and restores as another user, the files that user's, without the archive API", async () => {
    const transfers = new FakeTransfers();
    const save = makeJob([
      run(
        'mkdir -p /tmp/shared/deps/a && echo jar > /tmp/shared/deps/a/lib.jar && ln -s lib.jar /tmp/shared/deps/a/current',
      ),
      data('save_cache', { key: 'deps-v1', paths: ['/tmp/shared/deps'] }),
    ]);
    expect(await runWithHelper(save, transfers)).toMatchObject(succeeded);
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([['tmp/shared/deps/a/lib.jar', 'jar\n']]),
    );

    const restore = makeJob(
      [
        data('restore_cache', { keys: ['deps-'] }),
        run('cd /tmp/shared/deps/a && cat lib.jar && readlink current && stat -c %u:%g lib.jar /tmp/shared'),
      ],
      asNobody,
    );
    const restored = await runWithHelper(restore, transfers);
    expect(restored).toMatchObject(succeeded);
    expect(restored.sink.text(2)).toBe('jar\nlib.jar\n65534:65534\n65534:65534\n');
  }, 120_000);

  it('takes a path under a symbolic link through the archive API, which resolves it in the job', async () => {
    const transfers = new FakeTransfers();
    const makeLink = 'mkdir -p /opt/real && ln -s /opt/real ~/linked';
    const save = makeJob([
      run(`${makeLink} && mkdir ~/linked/deps && echo lib > ~/linked/deps/lib.txt`),
      data('save_cache', { key: 'linked-v1', paths: ['~/linked/deps'] }),
    ]);
    const saved = await runWithHelper(save, transfers);
    expect(saved.result).toEqual({ outcome: 'success' });
    expect(saved.archiveCalls).toBeGreaterThan(0);
    expect(await filesInArchive(transfers.caches[0]!.archive)).toEqual(
      new Map([['root/linked/deps/lib.txt', 'lib\n']]),
    );

    // Restored where the same link is: the helper's tar would look for /opt/real in its own files.
    const restore = makeJob([
      run(makeLink),
      data('restore_cache', { keys: ['linked-v1'] }),
      run('cat /opt/real/deps/lib.txt'),
    ]);
    const restored = await runWithHelper(restore, transfers);
    expect(restored.result).toEqual({ outcome: 'success' });
    expect(restored.sink.text(2)).toContain('moving it through the Docker Engine instead');
    expect(restored.sink.text(3)).toBe('lib\n');
  }, 120_000);

  it('restores through the engine where the job user may not write, as before the helper, saying why', async () => {
    const transfers = new FakeTransfers();
    const save = makeJob([
      run('mkdir -p /opt/tools && echo tool > /opt/tools/t'),
      data('save_cache', { key: 'tools-v1', paths: ['/opt/tools'] }),
    ]);
    expect(await runWithHelper(save, transfers)).toMatchObject(succeeded);

    const restore = makeJob(
      [data('restore_cache', { keys: ['tools-v1'] }), run('cat /opt/tools/t; stat -c %u /opt/tools/t')],
      asNobody,
    );
    const restored = await runWithHelper(restore, transfers);
    expect(restored.result).toEqual({ outcome: 'success' });
    expect(restored.sink.text(1)).toMatch(
      /Permission denied[\s\S]*the helper container exited with code 2[\s\S]*moving it through the Docker Engine instead/,
    );
    expect(restored.sink.text(2)).toBe('tool\n65534\n');
  }, 120_000);

  it('persists and attaches a workspace without the archive API, globs through it', async () => {
    const transfers = new FakeTransfers();
    const build = makeJob([
      run(
        'mkdir -p /tmp/build/dist /tmp/build/logs && echo app > /tmp/build/dist/app.js && echo l > /tmp/build/logs/a.log',
      ),
      data('persist_to_workspace', { root: '/tmp/build', paths: ['dist'] }),
      data('persist_to_workspace', { root: '/tmp/build/logs', paths: ['.'] }),
    ]);
    expect(await runWithHelper(build, transfers)).toMatchObject(succeeded);
    const globbed = makeJob([
      run('mkdir -p /tmp/more && echo r > /tmp/more/report.txt && echo x > /tmp/more/skip.bin'),
      data('persist_to_workspace', { root: '/tmp/more', paths: ['*.txt'] }),
    ]);
    const persisted = await runWithHelper(globbed, transfers);
    expect(persisted.result).toEqual({ outcome: 'success' });
    expect(persisted.archiveCalls).toBeGreaterThan(0);
    for (const layer of transfers.uploadedLayers) transfers.addLayer('build', layer);

    const use = makeJob(
      [
        data('attach_workspace', { at: '~/ws' }),
        run('cd ~/ws && cat dist/app.js a.log report.txt && ls && stat -c %u dist/app.js .'),
      ],
      asNobody,
    );
    const attached = await runWithHelper(use, transfers);
    expect(attached).toMatchObject(succeeded);
    expect(attached.sink.text(2)).toBe('app\nl\nr\na.log\ndist\nreport.txt\n65534\n65534\n');
  }, 120_000);
});
