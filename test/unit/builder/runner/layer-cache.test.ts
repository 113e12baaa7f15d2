import { describe, expect, it } from '@jest/globals';
import { LayerCaches, runJob, type RunJobOptions, type RunnerJob } from '../../../../src/builder/runner/index.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';
import { JOB_IMAGE, makeJob, RecordingSink, run } from '../../../support/runner-jobs.js';

// GIVEN the runner on an in-memory engine with the builder's layer caches (cap 1 GiB), and jobs of
// project 1 whose setup_remote_docker asks for docker_layer_caching.
const GiB = 1024 ** 3;
const CACHE = 'gyre-layer-cache-unit-builder-p1';
const cachedEngine = {
  type: 'setup_remote_docker',
  name: 'Setup a remote Docker engine',
  when: 'on_success',
  dockerLayerCaching: true,
} as const;

function backend(): FakeJobBackend {
  const fake = new FakeJobBackend();
  fake.images.add(JOB_IMAGE).add('gyre/engine:test');
  // Each engine's entrypoint writes its certificates; the ids of the jobs' containers are c1, c2, ...
  for (let id = 1; id <= 12; id++)
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) fake.filesOf(`c${id}`).write(`/certs/${name}`, 'pem\n');
  return fake;
}

const options = (layerCaches: LayerCaches): RunJobOptions => ({
  builderName: 'unit-builder',
  room: { cpus: 2, memoryBytes: GiB },
  engineImage: 'gyre/engine:test',
  layerCaches,
});

async function runCached(
  fake: FakeJobBackend,
  caches: LayerCaches,
  job: RunnerJob = makeJob([cachedEngine, run('docker build .')]),
) {
  const sink = new RecordingSink();
  const result = await runJob(fake, job, sink, options(caches));
  return { result, log: sink.text(1), engine: fake.started.filter((s) => s.image === 'gyre/engine:test').at(-1) };
}

describe('docker_layer_caching', () => {
  it("gives the project's engines one data volume, kept from job to job, which job cleanup leaves alone", async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    const first = await runCached(fake, caches);
    expect(first.result.outcome).toBe('success');
    expect(first.log).toContain(
      'the first job of the project with a layer cache on this builder; the engine starts empty',
    );
    expect(first.engine?.volumes).toEqual([{ name: CACHE, target: '/home/engine/.local/share/docker' }]);
    // Only the cache is left: its labels are none of those cleanup removes by.
    expect([...fake.volumes.values()]).toEqual([
      { name: CACHE, labels: { [LABELS.layerCache]: '1', [LABELS.builder]: 'unit-builder' } },
    ]);
    expect(fake.containers.size + fake.networks.size).toBe(0);

    fake.volumeSizes.set(CACHE, 300 * 1024 ** 2);
    const second = await runCached(fake, caches);
    expect(second.log).toContain("the engine starts from this project's layer cache on this builder (300 MiB)");
    expect(second.engine?.volumes).toEqual([{ name: CACHE, target: '/home/engine/.local/share/docker' }]);
    // Each cached engine is cleared of containers an earlier job left, before the job gets it.
    expect(fake.earlierContainerRemovals).toBe(2);
  });

  it('empties a cache that grew past its cap before a job takes it', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    await runCached(fake, caches);
    fake.volumeSizes.set(CACHE, 3 * GiB);
    const { log } = await runCached(fake, caches);
    expect(log).toContain(
      'the layer cache had grown to 3 GiB, past its 1 GiB (GYRE_LAYER_CACHE_SIZE); it starts empty again',
    );
    expect((await fake.volumeUsage(CACHE))?.bytes).toBe(0);
  });

  it('gives a second job of the project an empty engine of its own while the first holds the cache, and the cache back once it ended', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    const held = caches.take(1, false);
    expect(typeof held).toBe('object');
    const { log, engine } = await runCached(fake, caches);
    expect(log).toContain("another job of this project holds this builder's layer cache; the engine starts empty");
    expect(engine?.volumes?.[0]?.name).not.toBe(CACHE);
    expect(fake.volumes.size).toBe(0);
    if (typeof held === 'object') held.release();
    expect((await runCached(fake, caches)).engine?.volumes?.[0]?.name).toBe(CACHE);
    // Released at the job's end: the next job takes it again.
    expect(typeof caches.take(1, false)).toBe('object');
  });

  it("gives a fork's pull request without secrets no layer cache, so its layers never reach the project's builds", async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    const fork = { ...makeJob([cachedEngine]), secretsWithheld: true };
    const { log, engine } = await runCached(fake, caches, fork);
    expect(log).toContain("this build of a fork's pull request gets no layer cache");
    expect(engine?.volumes?.[0]?.name).not.toBe(CACHE);
    expect(fake.volumes.size).toBe(0);
  });

  it('keeps the cache held when the job could not be cleaned up, as its engine may still run on it', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    fake.failures.set('removeByLabels', new Error('engine busy'));
    const sink = new RecordingSink();
    const result = await runJob(fake, makeJob([cachedEngine]), sink, options(caches));
    expect(result.cleanupError).toContain('engine busy');
    expect(sink.text(0)).toContain("The project's layer cache stays held on this builder until the agent restarts");
    expect(caches.take(1, false)).toBe(
      "another job of this project holds this builder's layer cache; the engine starts empty",
    );
  });

  it('starts an empty engine, without failing the job, when the cache cannot be read or an earlier engine still mounts it', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    await runCached(fake, caches);
    fake.volumeUsageFailure = new Error('a disk usage operation is already running');
    const unread = await runCached(fake, caches);
    expect(unread.result.outcome).toBe('success');
    expect(unread.log).toContain(
      'the layer cache could not be read (a disk usage operation is already running); this engine starts empty',
    );
    expect(unread.engine?.volumes?.[0]?.name).not.toBe(CACHE);

    fake.volumeUsageFailure = undefined;
    // An engine a crash left behind, still on the cache, until the next start's cleanup.
    await fake.startContainer({
      image: 'gyre/engine:test',
      labels: {},
      volumes: [{ name: CACHE, target: '/home/engine/.local/share/docker' }],
    });
    const leftBehind = await runCached(fake, caches);
    expect(leftBehind.log).toContain(
      'the layer cache is still used by an engine left from before; this engine starts empty',
    );
    expect(leftBehind.engine?.volumes?.[0]?.name).not.toBe(CACHE);
  });

  it('empties a cache an engine failed to start on before the next job takes it, as a job may have broken it', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    await runCached(fake, caches);
    fake.volumeSizes.set(CACHE, 300 * 1024 ** 2);
    fake.engineAnswers = false;
    expect((await runCached(fake, caches)).result.outcome).toBe('infrastructure_failed');
    fake.engineAnswers = true;
    const next = await runCached(fake, caches);
    expect(next.log).toContain('the last engine on the layer cache did not start; it starts empty again');
    expect(next.engine?.volumes?.[0]?.name).toBe(CACHE);
    expect((await fake.volumeUsage(CACHE))?.bytes).toBe(0);
    // Once only: the job after that starts from the cache again.
    expect((await runCached(fake, caches)).log).toContain("starts from this project's layer cache");
  });

  it("takes no cache when the job's first engine step does not ask for one, as a later step only finds that engine", async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    const plainFirst = makeJob([{ ...cachedEngine, dockerLayerCaching: false }, cachedEngine]);
    const { engine } = await runCached(fake, caches, plainFirst);
    expect(engine?.volumes?.[0]?.name).not.toBe(CACHE);
    expect(fake.volumes.size).toBe(0);
  });

  it('uses a cache the engine could not size, saying so', async () => {
    const fake = backend();
    const caches = new LayerCaches('unit-builder', GiB);
    await runCached(fake, caches);
    fake.volumeSizes.set(CACHE, undefined);
    expect((await runCached(fake, caches)).log).toContain(
      "the engine starts from this project's layer cache on this builder (size unknown)",
    );
  });

  it('says the engine starts empty on a builder that keeps no layer caches', async () => {
    const fake = backend();
    const sink = new RecordingSink();
    await runJob(fake, makeJob([cachedEngine]), sink, { ...options(new LayerCaches('x', 1)), layerCaches: undefined });
    expect(sink.text(1)).toContain(
      'docker_layer_caching: this builder keeps no layer caches (GYRE_LAYER_CACHE_SIZE is off)',
    );
  });
});
