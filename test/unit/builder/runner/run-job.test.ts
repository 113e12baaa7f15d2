import { describe, expect, it } from '@jest/globals';
import {
  BackgroundCleanup,
  ImageToolsCache,
  JobResourcePool,
  runJob,
  ToolsVolume,
  type JobSshAccess,
  type RunnerSink,
  type RunJobOptions,
  type SshLanding,
} from '../../../../src/builder/runner/index.js';
import { until } from '../../../support/until.js';
import { GITHUB_KNOWN_HOSTS } from '../../../../src/builder/runner/known-hosts.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { PROBE_TOOLS_ARGV } from '../../../../src/builder/runner/shell.js';
import { FakeEngineError, FakeJobBackend } from '../../../support/fake-job-backend.js';
import { image, JOB_IMAGE, makeJob, RecordingSink, run } from '../../../support/runner-jobs.js';

// GIVEN the runner on an in-memory engine behind the job backend port: the runner's decisions
// (which steps run, what a failure means, what is cleaned up) without Docker.
const OPTIONS: RunJobOptions = {
  builderName: 'unit-builder',
  room: { cpus: 2, memoryBytes: 1024 ** 3 },
  helperImage: 'gyre/app:test',
};

function backendWith(images: readonly string[] = [JOB_IMAGE, 'gyre/app:test']): FakeJobBackend {
  const backend = new FakeJobBackend();
  for (const ref of images) backend.images.add(ref);
  return backend;
}

/** What the job left on the engine once runJob returned. */
function leftovers(backend: FakeJobBackend): number {
  return backend.containers.size + backend.networks.size + backend.volumes.size;
}

/** Runs a one-step job with a pool of one, filled first: what the pool held, and the job's result. */
async function runWithPool(backend: FakeJobBackend, step: ReturnType<typeof run>) {
  const pool = new JobResourcePool(backend, OPTIONS.builderName, 'gyre/app:test', 1, () => undefined);
  pool.fill();
  await until('the pool to fill', () => pool.readyCount === 1);
  const [pooled] = [...backend.networks.keys()];
  const [holder] = backend.startedIds;
  const result = await runJob(backend, makeJob([step]), new RecordingSink(), { ...OPTIONS, resourcePool: pool });
  return { pool, pooled, holder, result };
}

describe('runJob', () => {
  it('runs the steps in order in the primary, reports each, and removes everything it made', async () => {
    const backend = backendWith();
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([run('echo one'), run('echo two')]), sink, OPTIONS);
    expect(result).toEqual({ outcome: 'success' });
    expect(backend.scripts).toEqual(['echo one', 'echo two']);
    expect(sink.events).toEqual([
      { index: 1, name: 'echo one', status: 'started' },
      { index: 1, name: 'echo one', status: 'finished', exitCode: 0 },
      { index: 2, name: 'echo two', status: 'started' },
      { index: 2, name: 'echo two', status: 'finished', exitCode: 0 },
    ]);
    expect([sink.text(1), sink.text(2)]).toEqual(['one\n', 'two\n']);
    expect(leftovers(backend)).toBe(0);
  });

  it('fails on a failing step, skips later on_success steps and still runs on_fail and always steps', async () => {
    const backend = backendWith();
    const job = makeJob([
      run('exit 3', { name: 'tests' }),
      run('echo deploy'),
      run('echo report', { when: 'on_fail' }),
      run('echo tidy', { when: 'always' }),
    ]);
    const result = await runJob(backend, job, new RecordingSink(), OPTIONS);
    expect(result).toEqual({
      outcome: 'failed',
      message: 'step 1 `tests` exited with 3',
      failedStep: { index: 1, name: 'tests', exitCode: 3 },
    });
    expect(backend.scripts).toEqual(['exit 3', 'echo report', 'echo tidy']);
  });

  it("starts the primary with the workspace, then the services on the job network by their alias, each with the class's limits", async () => {
    const backend = backendWith([JOB_IMAGE, 'gyre/postgres:15', 'gyre/app:test']);
    const job = makeJob([run('echo hi')], {
      docker: {
        primary: image(),
        services: [image({ image: 'gyre/postgres:15', environment: { POSTGRES_PASSWORD: 'x' } })],
      },
    });
    expect((await runJob(backend, job, new RecordingSink(), OPTIONS)).outcome).toBe('success');
    const network = backend.started[0]?.network?.name;
    expect(network).toMatch(new RegExp(`^gyre-job-${job.jobId}-1-`));
    // The job's `small` class (1 CPU, 512 MiB), inside the builder's 2-CPU, 1 GiB room.
    const limits = { cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 4096 };
    expect(backend.started).toEqual([
      expect.objectContaining({
        image: JOB_IMAGE,
        network: { name: network },
        volumes: [{ name: network, target: '/gyre/workspace' }],
        limits,
        mayGainPrivileges: true,
      }),
      expect.objectContaining({
        image: 'gyre/postgres:15',
        env: ['POSTGRES_PASSWORD=x'],
        network: { name: network, aliases: ['postgres'] },
        limits,
      }),
    ]);
    expect(backend.started.map((spec) => spec.cgroup)).toEqual([undefined, undefined]);
    expect(backend.started[1]?.mayGainPrivileges).toBeUndefined();
  });

  it("nests the services in the primary's cgroup where the engine can, so the class's limits bound the job", async () => {
    const backend = backendWith([JOB_IMAGE, 'gyre/postgres:15', 'gyre/app:test']);
    const services = [image({ image: 'gyre/postgres:15' }), image({ image: 'gyre/postgres:15', name: 'db2' })];
    const job = makeJob([run('echo hi')], { docker: { primary: image(), services } });
    const result = await runJob(backend, job, new RecordingSink(), { ...OPTIONS, sharedCgroup: true });
    expect(result.outcome).toBe('success');
    const [primary, ...rest] = backend.started;
    expect(primary).toEqual(
      expect.objectContaining({ cgroup: 'leader', limits: { cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 4096 } }),
    );
    for (const service of rest) {
      // c1: the fake engine's first container, the primary.
      expect(service.cgroup).toEqual({ under: 'c1' });
      expect(service.limits).toBeUndefined();
    }
    expect(rest).toHaveLength(2);
  });

  it('fails the job, not the builder, when an image is neither present nor pullable, and leaves nothing behind', async () => {
    const backend = backendWith(['gyre/app:test']);
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([run('echo never')]), sink, OPTIONS);
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe(
      `Image ${JOB_IMAGE} is not on this builder and could not be pulled: pull access denied for ${JOB_IMAGE}`,
    );
    expect(sink.text(0)).toContain(`Pulling image ${JOB_IMAGE}`);
    expect(backend.scripts).toEqual([]);
    expect(leftovers(backend)).toBe(0);
  });

  it('fails a job with more services than the builder allows before pulling or starting anything, naming the setting', async () => {
    const backend = backendWith();
    const sink = new RecordingSink();
    const services = ['a', 'b', 'c'].map((name) => image({ name }));
    const job = makeJob([run('echo never')], { docker: { primary: image(), services } });
    const result = await runJob(backend, job, sink, { ...OPTIONS, maxServices: 2 });
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(
      /^The job has 3 service containers besides its primary; this builder allows at most 2 \(GYRE_JOB_MAX_SERVICES\)\./,
    );
    expect(sink.text(0)).toContain('GYRE_JOB_MAX_SERVICES');
    expect(backend.started).toEqual([]);
    expect(backend.networks.size).toBe(0);

    // At the limit, the job runs.
    const atLimit = await runJob(backend, job, new RecordingSink(), { ...OPTIONS, maxServices: 3 });
    expect(atLimit.outcome).toBe('success');
  });

  it('holds the primary and every service to the disk limit, and no container without one', async () => {
    const backend = backendWith();
    const job = makeJob([run('true')], { docker: { primary: image(), services: [image({ name: 'db' })] } });
    await runJob(backend, job, new RecordingSink(), { ...OPTIONS, diskBytes: 5 * 1024 ** 3 });
    expect(backend.started.map((spec) => spec.diskBytes)).toEqual([5 * 1024 ** 3, 5 * 1024 ** 3]);

    const unlimited = backendWith();
    await runJob(unlimited, job, new RecordingSink(), OPTIONS);
    expect(unlimited.started.map((spec) => 'diskBytes' in spec)).toEqual([false, false]);
  });

  it('pulls a missing image that its registry has, then runs', async () => {
    const backend = backendWith(['gyre/app:test']);
    backend.pullable.add(JOB_IMAGE);
    expect(await runJob(backend, makeJob([run('echo pulled')]), new RecordingSink(), OPTIONS)).toEqual({
      outcome: 'success',
    });
    expect(backend.images.has(JOB_IMAGE)).toBe(true);
  });

  it('pulls an image with `auth` with the credentials its variables hold, and fails, naming a missing one, before pulling', async () => {
    const backend = backendWith(['gyre/app:test']);
    const privateImage = 'registry.acme.example:5000/team/builder:1';
    backend.pullable.add(privateImage);
    const withAuth = (password: string) =>
      makeJob([run('echo private')], {
        docker: {
          primary: image({ image: privateImage, auth: { username: 'ci-${PROJECT_VAR}', password } }),
          services: [],
        },
      });
    const job = withAuth('$REGISTRY_PASSWORD');
    const sink = new RecordingSink();
    const ok = await runJob(
      backend,
      { ...job, projectVariables: { ...job.projectVariables, REGISTRY_PASSWORD: 's3cret' } },
      sink,
      OPTIONS,
    );
    expect(ok).toEqual({ outcome: 'success' });
    expect(backend.pulls).toEqual([
      {
        ref: privateImage,
        auth: { username: 'ci-from-project', password: 's3cret', serveraddress: 'registry.acme.example:5000' },
      },
    ]);
    expect(sink.text(0)).toContain(`Pulling image ${privateImage} as ci-from-project`);

    const missing = await runJob(backend, withAuth('$NOT_SET'), new RecordingSink(), OPTIONS);
    expect(missing).toEqual({
      outcome: 'failed',
      message: expect.stringContaining(
        `Image ${privateImage} needs registry credentials from $NOT_SET, which this job does not have`,
      ) as unknown,
    });
    expect(backend.pulls).toHaveLength(1);
  });

  it('reports a set-up failure of the engine as an infrastructure failure, so the job is retried', async () => {
    const backend = backendWith();
    backend.failures.set('createNetwork', new FakeEngineError(500, 'could not find an available IPv4 address pool'));
    const result = await runJob(backend, makeJob([run('echo never')]), new RecordingSink(), OPTIONS);
    expect(result).toEqual({
      outcome: 'infrastructure_failed',
      message: 'could not find an available IPv4 address pool',
    });
    // The volume made beside the network that failed is removed with the job.
    expect(leftovers(backend)).toBe(0);
  });

  it('keeps the outcome when cleanup fails, and reports the cleanup failure with it', async () => {
    const backend = backendWith();
    backend.failures.set('removeByLabels', new Error('Cleanup of job 1 failed for 1 object(s)'));
    const result = await runJob(backend, makeJob([run('echo ok')]), new RecordingSink(), OPTIONS);
    expect(result).toEqual({ outcome: 'success', cleanupError: 'Cleanup of job 1 failed for 1 object(s)' });
  });

  it('removes only what this builder made for this attempt of the job', async () => {
    const backend = backendWith();
    const job = { ...makeJob([run('echo ok')]), attempt: 3 };
    await runJob(backend, job, new RecordingSink(), OPTIONS);
    expect(backend.removals).toEqual([
      {
        labels: {
          [LABELS.managed]: 'true',
          [LABELS.builder]: 'unit-builder',
          [LABELS.job]: String(job.jobId),
          [LABELS.attempt]: '3',
        },
        owner: `job ${job.jobId} attempt 3`,
      },
    ]);
  });

  it('with a background cleanup, returns before the removal, which takes only this attempt', async () => {
    const backend = backendWith();
    const job = { ...makeJob([run('echo ok')]), attempt: 2 };
    const failures: [number, unknown][] = [];
    const cleanup = new BackgroundCleanup(1, (jobId, error) => failures.push([jobId, error]));
    backend.failures.set('removeByLabels', new Error('Cleanup of job 1 attempt 2 failed for 1 object(s)'));
    const result = await runJob(backend, job, new RecordingSink(), { ...OPTIONS, backgroundCleanup: cleanup });
    // The result carries no cleanup failure: the removal runs after it, and its failure is the agent's to log.
    expect(result).toEqual({ outcome: 'success' });
    expect(cleanup.size).toBe(1);
    await cleanup.idle();
    expect(failures).toEqual([[job.jobId, new Error('Cleanup of job 1 attempt 2 failed for 1 object(s)')]]);
    expect(backend.removals).toEqual([
      {
        labels: {
          [LABELS.managed]: 'true',
          [LABELS.builder]: 'unit-builder',
          [LABELS.job]: String(job.jobId),
          [LABELS.attempt]: '2',
        },
        owner: `job ${job.jobId} attempt 2`,
      },
    ]);
  });

  it('with a background cleanup, removes everything it made once the removal ran', async () => {
    const backend = backendWith();
    const cleanup = new BackgroundCleanup(1, () => undefined);
    await runJob(backend, makeJob([run('echo ok')]), new RecordingSink(), { ...OPTIONS, backgroundCleanup: cleanup });
    await cleanup.idle();
    expect(leftovers(backend)).toBe(0);
  });

  it("runs the primary in the namespace of the pool's holder, and removes what it took from the pool with the job's containers, whatever the outcome", async () => {
    const backend = backendWith();
    const { pool, pooled, holder, result } = await runWithPool(backend, run('exit 4'));
    expect(result.outcome).toBe('failed');
    const primary = backend.started[1]!;
    expect(primary.image).toBe(JOB_IMAGE);
    expect(primary.network).toBeUndefined();
    expect([primary.networkOf, primary.volumes?.[0]?.name]).toEqual([holder, pooled]);
    // The pool made the next one once the primary ran: only that is left.
    await until('the pool to fill again', () => pool.readyCount === 1);
    expect([...backend.networks.keys()]).not.toContain(pooled);
    expect([...backend.volumes.keys()]).not.toContain(pooled);
    expect([...backend.containers.keys()]).not.toContain(holder);
    expect([backend.containers.size, backend.networks.size, backend.volumes.size]).toEqual([1, 1, 1]);
  });

  it("mounts the builder's tools volume read-only at /gyre/bin and puts no script in, only timings when there are some", async () => {
    const backend = backendWith();
    const toolsVolume = new ToolsVolume(backend, OPTIONS.builderName, 'gyre/app:test', (error) => {
      throw error;
    });
    const volume = await toolsVolume.name();
    expect(volume).toBeDefined();
    const bare = await runJob(backend, makeJob([run('true')]), new RecordingSink(), { ...OPTIONS, toolsVolume });
    expect(bare.outcome).toBe('success');
    expect(backend.started[0]!.volumes).toContainEqual({ name: volume, target: '/gyre/bin', readOnly: true });
    expect(backend.filesOf(backend.startedIds[0]!).nodes.has('/gyre/bin/circleci')).toBe(false);
    expect(backend.filesOf(backend.startedIds[0]!).nodes.has('/gyre/test-timings.tsv')).toBe(false);
    const timed = {
      ...makeJob([run('true')]),
      testTimings: [{ kind: 'filename' as const, name: 'a.test', seconds: 2 }],
    };
    await runJob(backend, timed, new RecordingSink(), { ...OPTIONS, toolsVolume });
    expect(backend.filesOf(backend.startedIds[1]!).nodes.has('/gyre/bin/circleci')).toBe(false);
    expect(backend.filesOf(backend.startedIds[1]!).nodes.has('/gyre/test-timings.tsv')).toBe(true);
  });

  it("makes a network of its own when the pool's holder is not running, and has the pool make new ones", async () => {
    const backend = backendWith();
    const pool = new JobResourcePool(backend, OPTIONS.builderName, 'gyre/app:test', 1, () => undefined);
    pool.fill();
    await until('the pool to fill', () => pool.readyCount === 1);
    const [stale] = backend.startedIds;
    // The engine restarted, or someone stopped the holder: it runs no more.
    await backend.removeContainer(stale!);
    const result = await runJob(backend, makeJob([run('echo fine')]), new RecordingSink(), {
      ...OPTIONS,
      resourcePool: pool,
    });
    expect(result).toEqual({ outcome: 'success' });
    const primary = backend.started.find((spec) => spec.image === JOB_IMAGE)!;
    expect(primary.networkOf).toBeUndefined();
    expect(primary.network?.name).toMatch(/^gyre-job-/);
    await until('the pool to make a new one', () => pool.readyCount === 1);
    const fresh = pool.take()!;
    expect(fresh.holder).not.toBe(stale);
    expect(await pool.holds(fresh)).toBe(true);
  });

  it("takes one of the pool's ready networks away when the engine has no address left for the job's checkout", async () => {
    const backend = backendWith();
    const failures: unknown[] = [];
    const pool = new JobResourcePool(backend, OPTIONS.builderName, 'gyre/app:test', 2, (error) => failures.push(error));
    pool.fill();
    await until('the pool to fill', () => pool.readyCount === 2);
    const [taken, spare] = [...backend.networks.keys()];
    // The engine has addresses for the pool's two networks and no more.
    backend.addressPools = 2;
    const job = makeJob([{ type: 'checkout' }, run('echo fine')]);
    const result = await runJob(backend, job, new RecordingSink(), { ...OPTIONS, resourcePool: pool });
    expect(result).toEqual({ outcome: 'success' });
    expect(backend.ran.map((spec) => spec.network?.name)).toEqual([`${taken}-checkout-1`]);
    expect([pool.readyCount, backend.networks.has(spare!)]).toEqual([0, false]);
    // The pool could not make the next one meanwhile, for the same reason.
    expect(String(failures[0])).toContain('non-overlapping IPv4 address pool');
  });

  it('removes what a job took from the pool when its set-up failed before using it', async () => {
    const backend = backendWith(['gyre/app:test']);
    const { pooled, holder, result } = await runWithPool(backend, run('true'));
    expect(result.outcome).toBe('failed');
    expect([backend.networks.has(pooled!), backend.volumes.has(pooled!), backend.containers.has(holder!)]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('probes a primary image once for jobs alike, and again for another user or other variables', async () => {
    const backend = backendWith();
    const imageTools = new ImageToolsCache();
    const probes = () => backend.execs.filter((cmd) => cmd.join(' ') === PROBE_TOOLS_ARGV.join(' ')).length;
    const runWith = async (job: ReturnType<typeof makeJob>) =>
      expect(await runJob(backend, job, new RecordingSink(), { ...OPTIONS, imageTools })).toEqual({
        outcome: 'success',
      });
    const job = makeJob([run('echo ok')]);
    await runWith(job);
    await runWith(job);
    expect(probes()).toBe(1);
    // The step still ran with what the probe found (bash and setsid).
    expect(backend.scripts.at(-1)).toBe('echo ok');
    const asOther = {
      ...job,
      spec: { ...job.spec, docker: { ...job.spec.docker, primary: image({ user: 'nobody' }) } },
    };
    await runWith(asOther);
    expect(probes()).toBe(2);
    const otherPath = {
      ...job,
      spec: { ...job.spec, docker: { ...job.spec.docker, primary: image({ environment: { PATH: '/opt/bin' } }) } },
    };
    await runWith(otherPath);
    expect(probes()).toBe(3);
  });

  it('ends a job canceled before it started as canceled, running no step', async () => {
    const backend = backendWith();
    const canceled = new AbortController();
    canceled.abort();
    const result = await runJob(backend, makeJob([run('echo never')]), new RecordingSink(), {
      ...OPTIONS,
      signal: canceled.signal,
    });
    expect(result).toEqual({ outcome: 'canceled', message: 'the job was canceled' });
    expect(backend.scripts).toEqual([]);
    expect(leftovers(backend)).toBe(0);
  });

  it("ends a canceled job whose step waits for the sink's room that never comes", async () => {
    // GIVEN a sink that never has room again once the step printed
    const backend = backendWith();
    const sink = new RecordingSink();
    const full: RunnerSink = {
      log: (step, data) => sink.log(step, data),
      room: () => (sink.text(1) === '' ? undefined : new Promise<void>(() => undefined)),
      step: (event) => sink.step(event),
    };
    const canceled = new AbortController();
    sink.onLog = (step) => {
      if (step === 1) setTimeout(() => canceled.abort(), 50);
    };
    // WHEN it is canceled while the step waits
    const result = await runJob(backend, makeJob([run('echo waiting'), run('echo never')]), full, {
      ...OPTIONS,
      signal: canceled.signal,
    });
    // THEN it ends canceled, and its later steps do not run
    expect(result).toEqual({ outcome: 'canceled', message: 'the job was canceled' });
    expect(backend.scripts).toEqual(['echo waiting']);
  });

  it("clones in the helper image and fails the checkout step with the helper's exit code", async () => {
    const backend = backendWith();
    backend.helperRun = { exitCode: 128, output: 'fatal: repository not found\n' };
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([{ type: 'checkout' }, run('echo never')]), sink, OPTIONS);
    expect(result.failedStep).toEqual({ index: 1, name: 'Checkout code', exitCode: 128 });
    expect(sink.text(1)).toBe('fatal: repository not found\n');
    expect(backend.scripts).toEqual([]);
  });

  it("runs git as nobody, in a folder that the primary's root made for it and nothing else", async () => {
    const backend = backendWith();
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), new RecordingSink(), OPTIONS);
    expect(result.outcome).toBe('success');
    const prepared = backend.execs.findIndex((cmd) => cmd.some((arg) => arg.includes('chown')));
    expect(backend.execs[prepared]?.at(-1)).toBe(
      'rm -rf /gyre/workspace/checkout && mkdir /gyre/workspace/checkout && chown 65534:65534 /gyre/workspace/checkout 2>&1',
    );
    expect(backend.execUsers[prepared]).toBe('0:0');
    expect(backend.ran.map((spec) => [spec.image, spec.user])).toEqual([['gyre/app:test', '65534:65534']]);
  });

  it('runs each checkout on a job network of its own, with no job container on it, removed when the clone is done', async () => {
    const backend = backendWith();
    const made: string[] = [];
    const create = backend.createNetwork.bind(backend);
    backend.createNetwork = (name, labels) => (made.push(name), create(name, labels));
    const removed: string[] = [];
    backend.removeNetwork = (name) => (removed.push(name), Promise.resolve(void backend.networks.delete(name)));
    const job = makeJob([{ type: 'checkout' }, { type: 'checkout', path: 'again' }], {
      docker: { primary: image(), services: [image({ image: JOB_IMAGE, name: 'github.com' })] },
    });
    const result = await runJob(backend, job, new RecordingSink(), OPTIONS);
    expect(result.outcome).toBe('success');
    // (the primary's network is the job's own: the runner made it, and removed it at the end)
    const jobNetwork = backend.started[0]?.network?.name;
    expect(jobNetwork).toMatch(/^gyre-job-/);
    const checkouts = [`${jobNetwork}-checkout-1`, `${jobNetwork}-checkout-2`];
    expect(made).toEqual([jobNetwork, ...checkouts]);
    expect(backend.ran.map((spec) => spec.network)).toEqual(checkouts.map((name) => ({ name })));
    expect(removed).toEqual(checkouts);
    expect(backend.started.map((spec) => spec.network?.name)).toEqual([jobNetwork, jobNetwork]);
  });

  it("runs the checkout helper with no privileges to gain, and gives it the builder's extra CA on stdin", async () => {
    const backend = backendWith();
    const outbound = { proxy: {}, extraCa: '-----BEGIN CERTIFICATE-----\nEXTRA\n-----END CERTIFICATE-----\n' };
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), new RecordingSink(), {
      ...OPTIONS,
      outbound,
    });
    expect(result.outcome).toBe('success');
    expect(backend.ran).toHaveLength(1);
    expect(backend.ran[0]?.mayGainPrivileges).toBeUndefined();
    expect(backend.ran[0]?.stdin?.toString()).toContain(
      '\n-----BEGIN CERTIFICATE-----\nEXTRA\n-----END CERTIFICATE-----\n\n',
    );
  });

  const remoteDocker = {
    type: 'setup_remote_docker',
    name: 'Setup a remote Docker engine',
    when: 'on_success',
    dockerLayerCaching: false,
  } as const;

  it("starts the job's own rootless engine on its network, hands the primary the client certificate and points later steps at it", async () => {
    const backend = backendWith();
    backend.images.add('gyre/engine:test');
    // The engine is the second container the job starts, after the primary; its entrypoint writes these.
    for (const name of ['ca.pem', 'cert.pem', 'key.pem', 'server-key.pem'])
      backend.filesOf('c2').write(`/certs/${name}`, `${name} body\n`);
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([remoteDocker, run('docker build .'), remoteDocker]), sink, {
      ...OPTIONS,
      engineImage: 'gyre/engine:test',
    });
    expect(result.outcome).toBe('success');
    // One engine, however often the step comes.
    expect(backend.started).toHaveLength(2);
    expect(sink.text(3)).toBe("The job's Docker engine already runs at tcp://remote-docker:2376.\n");
    const [primary, engine] = backend.started;
    expect(engine).toMatchObject({
      image: 'gyre/engine:test',
      rootlessEngine: true,
      labels: primary!.labels,
      network: { name: primary!.network!.name, aliases: ['remote-docker'] },
      volumes: [{ name: expect.stringMatching(/-engine$/), target: '/home/engine/.local/share/docker' }],
    });
    // (nothing of another container: no pid namespace to join)
    expect(engine!.pidOf).toBeUndefined();
    // The client's files only, the key for its user alone; the server's key stays in the engine.
    expect(backend.filesOf('c1').filesUnder('/tmp/docker-certs')).toEqual([
      '/tmp/docker-certs/ca.pem',
      '/tmp/docker-certs/cert.pem',
      '/tmp/docker-certs/key.pem',
    ]);
    const step = backend.execs.findIndex((cmd) => cmd.some((arg) => arg.includes('docker build .')));
    expect(backend.execEnvs[step]).toEqual(
      expect.arrayContaining([
        'DOCKER_HOST=tcp://remote-docker:2376',
        'DOCKER_TLS_VERIFY=1',
        'DOCKER_CERT_PATH=/tmp/docker-certs',
      ]),
    );
  });

  it("ends the job infrastructure_failed, to be retried, when the builder's engine does not start, answer or write its certificate", async () => {
    const retried = async (backend: FakeJobBackend, engineImage: string | undefined) => {
      const sink = new RecordingSink();
      const result = await runJob(backend, makeJob([remoteDocker, run('echo never')]), sink, {
        ...OPTIONS,
        ...(engineImage !== undefined && { engineImage }),
      });
      expect(result.outcome).toBe('infrastructure_failed');
      expect(sink.text(1)).toContain(`${result.message}; the builder is at fault, so the job is retried`);
      expect(sink.text(2)).toBe('');
      return result.message;
    };
    const silent = backendWith();
    silent.images.add('gyre/engine:test');
    silent.engineAnswers = false;
    expect(await retried(silent, 'gyre/engine:test')).toBe(
      "the job's Docker engine did not answer within 120 s (exit 124)",
    );

    const serverFilesOnly = backendWith();
    serverFilesOnly.images.add('gyre/engine:test');
    serverFilesOnly.filesOf('c2').write('/certs/server-cert.pem', 'server\n');
    expect(await retried(serverFilesOnly, 'gyre/engine:test')).toBe(
      'the engine wrote no ca.pem, cert.pem, key.pem into /certs',
    );

    expect(await retried(backendWith(), 'gyre/engine:test')).toContain(
      "could not start the job's Docker engine: gyre/engine:test (GYRE_ENGINE_IMAGE) is not on this builder's Docker host",
    );
    expect(await retried(backendWith(), undefined)).toContain('GYRE_DOCKER_IN_BUILDS is off');
  });

  it("fails the step, the job's fault, when the primary cannot take the client certificate", async () => {
    const backend = backendWith();
    backend.images.add('gyre/engine:test');
    backend.filesOf('c2').write('/certs/ca.pem', 'ca\n');
    backend.filesOf('c2').write('/certs/cert.pem', 'cert\n');
    backend.filesOf('c2').write('/certs/key.pem', 'key\n');
    backend.refusedPaths.set('/tmp/docker-certs', new Error('/tmp is not a directory'));
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([remoteDocker]), sink, {
      ...OPTIONS,
      engineImage: 'gyre/engine:test',
    });
    expect(result.outcome).toBe('failed');
    expect(result.failedStep).toEqual({ index: 1, name: 'Setup a remote Docker engine', exitCode: 1 });
    expect(sink.text(1)).toContain(
      'setup_remote_docker could not put the client certificate into /tmp/docker-certs: /tmp is not a directory',
    );
  });

  it("runs a machine job's primary from the builder's machine image, never pulled, whatever CircleCI image it names", async () => {
    const machineJob = makeJob([run('echo hi')], {
      docker: { primary: image({ image: 'ubuntu-2204:2024.01.1' }), services: [] },
      machine: true,
    });
    const backend = backendWith(['gyre/machine:test']);
    const result = await runJob(backend, machineJob, new RecordingSink(), {
      ...OPTIONS,
      machineImage: 'gyre/machine:test',
    });
    expect(result.outcome).toBe('success');
    expect(backend.started[0]?.image).toBe('gyre/machine:test');

    const missing = backendWith([]);
    missing.pullable.add('gyre/machine:test');
    const absent = await runJob(missing, machineJob, new RecordingSink(), {
      ...OPTIONS,
      machineImage: 'gyre/machine:test',
    });
    expect(absent.outcome).toBe('infrastructure_failed');
    expect(absent.message).toContain('gyre/machine:test (GYRE_MACHINE_IMAGE) is not on this builder');
    expect(missing.pulls).toEqual([]);

    const refused = await runJob(backendWith(), machineJob, new RecordingSink(), OPTIONS);
    expect(refused.outcome).toBe('infrastructure_failed');
    expect(refused.message).toContain('GYRE_DOCKER_IN_BUILDS is not machine');
  });

  it("never pulls one of Gyre's own images for a job, where a registry's image of that name would later run as Gyre's", async () => {
    const backend = backendWith([JOB_IMAGE]);
    backend.pullable.add('gyre/engine:test');
    const job = makeJob([run('echo hi')], {
      docker: { primary: image(), services: [image({ image: 'gyre/engine:test', name: 'fake-engine' })] },
    });
    const reserved = { ...OPTIONS, engineImage: 'sha256:gyre/engine:test', reservedImages: ['gyre/engine:test'] };
    const result = await runJob(backend, job, new RecordingSink(), reserved);
    expect(result.outcome).toBe('failed');
    expect(result.message).toContain("gyre/engine:test is one of Gyre's own images, which a builder never pulls");
    expect(backend.pulls).toEqual([]);
    // Built here, it serves a job as any image does.
    backend.images.add('gyre/engine:test');
    expect((await runJob(backend, job, new RecordingSink(), reserved)).outcome).toBe('success');
  });

  it('never pulls the helper image, which runs git with the repository credential: a builder without it is at fault', async () => {
    const backend = backendWith([JOB_IMAGE]);
    backend.pullable.add('gyre/app:test');
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), new RecordingSink(), OPTIONS);
    expect(result.outcome).toBe('infrastructure_failed');
    expect(result.message).toContain("gyre/app:test (GYRE_APP_IMAGE) is not on this builder's Docker host");
    expect(backend.pulls).toEqual([]);
  });

  it("adds GitHub's host keys to ~/.ssh/known_hosts after a checkout, as CircleCI does", async () => {
    const backend = backendWith();
    // The primary is the first container started (c1); its home exists.
    backend.filesOf('c1').nodes.set(backend.home, 'dir');
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), new RecordingSink(), OPTIONS);
    expect(result.outcome).toBe('success');
    expect(backend.started[0]?.image).toBe(JOB_IMAGE);
    expect(backend.filesOf('c1').read(`${backend.home}/.ssh/known_hosts`)).toBe([...GITHUB_KNOWN_HOSTS, ''].join('\n'));
  });

  it("does not fail a checkout over ~/.ssh it cannot write GitHub's keys into, and says so", async () => {
    const backend = backendWith();
    backend.filesOf('c1').write(`${backend.home}/.ssh`, 'a file');
    const sink = new RecordingSink();
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), sink, OPTIONS);
    expect(result.outcome).toBe('success');
    expect(sink.text(1)).toMatch(/GitHub's host keys were not added to ~\/\.ssh\/known_hosts: .*\.ssh is not a folder/);
  });

  it('fails a checkout step when no helper image was given', async () => {
    const backend = backendWith();
    const { helperImage: _none, ...withoutHelper } = OPTIONS;
    const result = await runJob(backend, makeJob([{ type: 'checkout' }]), new RecordingSink(), withoutHelper);
    expect(result.failedStep).toEqual({ index: 1, name: 'Checkout code', exitCode: 1 });
  });
});

describe('runJob for a rerun with SSH', () => {
  /** The runner's side of SSH access, recorded: what it opened, when it held, and whether it closed. */
  function recordingAccess(holdFor: (signal: AbortSignal | undefined) => Promise<void> = () => Promise.resolve()) {
    const calls: string[] = [];
    const landings: SshLanding[] = [];
    const access: JobSshAccess = {
      open: (landing) => {
        calls.push('open');
        landings.push(landing);
      },
      hold: async (signal, log, prepare) => {
        await prepare?.();
        calls.push('hold');
        log('held for SSH');
        await holdFor(signal);
      },
      close: () => calls.push('close'),
    };
    return { access, calls, landings };
  }

  it('opens sessions into the primary before the steps, in the working directory with the job variables and the services by name, and waits after a failed step before cleaning up', async () => {
    const backend = backendWith([JOB_IMAGE, 'gyre/postgres:15', 'gyre/app:test']);
    let runningWhileHeld = 0;
    const { access, calls, landings } = recordingAccess(() => {
      runningWhileHeld = backend.containers.size;
      return Promise.resolve();
    });
    const job = makeJob([run('exit 3', { name: 'tests' })], {
      environment: { JOB_VAR: 'from-job' },
      docker: { primary: image(), services: [image({ image: 'gyre/postgres:15' })] },
    });
    const sink = new RecordingSink();
    const result = await runJob(backend, job, sink, { ...OPTIONS, ssh: access });
    expect(result.outcome).toBe('failed');
    expect(calls).toEqual(['open', 'open', 'hold', 'close']);
    const [primary, service] = [...backend.startedIds];
    expect(landings[0]).toEqual({
      container: primary,
      workdir: '/home/circleci/project',
      env: expect.arrayContaining(['PROJECT_VAR=from-project', 'JOB_VAR=from-job', `CIRCLE_BUILD_NUM=${job.jobId}`]),
      services: { postgres: `10.0.0.${service!.slice(1)}` },
    });
    expect(sink.text(0)).toContain('held for SSH');
    // The wait came before cleanup: the primary and the service still ran during it, and are gone after.
    expect(runningWhileHeld).toBe(2);
    expect(leftovers(backend)).toBe(0);
  });

  it('ends the wait when the job is canceled, and closes the sessions', async () => {
    const backend = backendWith();
    const cancel = new AbortController();
    const { access, calls } = recordingAccess(
      (signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve())),
    );
    const running = runJob(backend, makeJob([run('echo done')]), new RecordingSink(), {
      ...OPTIONS,
      signal: cancel.signal,
      ssh: access,
    });
    await until('the wait for SSH', () => calls.includes('hold'));
    cancel.abort();
    await running;
    expect(calls.at(-1)).toBe('close');
  });

  it('does not wait after a job canceled during its steps', async () => {
    const backend = backendWith();
    const cancel = new AbortController();
    cancel.abort();
    const { access, calls } = recordingAccess();
    const result = await runJob(backend, makeJob([run('echo never')]), new RecordingSink(), {
      ...OPTIONS,
      signal: cancel.signal,
      ssh: access,
    });
    expect(result.outcome).toBe('canceled');
    expect(calls).not.toContain('hold');
    expect(calls.at(-1)).toBe('close');
  });
});
