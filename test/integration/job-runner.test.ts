import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { cleanupBuilder, JobResourcePool, runJob, ToolsVolume } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { jobLabels, LABELS } from '../../src/shared/labels.js';
import type { JobResult, RunJobOptions, RunnerJob, RunnerSink } from '../../src/builder/runner/index.js';
import { enforceEgress } from '../support/host-egress.js';
import { until } from '../support/until.js';
import { image, JOB_IMAGE, makeJob, RecordingSink, run } from '../support/runner-jobs.js';

// GIVEN the local engine and only local images: no registry is reachable here.
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const BUILDER = `runner-test-${process.pid}`;
const HELPER_IMAGE = 'gyre/app:0.1.0';

const options: RunJobOptions = {
  builderName: BUILDER,
  room: { cpus: 1, memoryBytes: 256 * 1024 ** 2 },
  killGraceMs: 500,
};

async function leftovers(label: string): Promise<number> {
  const filters = JSON.stringify({ label: [label] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes ?? []).length;
}

async function runAndCheckCleanup(
  job: RunnerJob,
  sink: RunnerSink,
  extra: Partial<RunJobOptions> = {},
): Promise<JobResult> {
  const result = await runJob(backend, job, sink, { ...options, ...extra });
  expect(await leftovers(`${LABELS.job}=${job.jobId}`)).toBe(0);
  return result;
}

let gitServer: GitServer | undefined;

afterAll(async () => {
  await gitServer?.stop();
  await cleanupBuilder(backend, BUILDER);
});

describe('runJob on the local Docker Engine', () => {
  it('runs steps with the CircleCI environment, a reachable service and output in order', async () => {
    // GIVEN a job with a service named db, job and step variables
    const job = makeJob(
      [
        run('echo one; echo two >&2; echo three'),
        run('getent hosts db >/dev/null && echo db-resolves; pwd; echo "$0"'),
        run(
          'echo "$CI $CIRCLECI $CIRCLE_SHA1 $GYRE_SHA1 $CIRCLE_BRANCH $CIRCLE_PROJECT_REPONAME $PROJECT_VAR $JOB_VAR $STEP_VAR"',
          { environment: { STEP_VAR: 'step', JOB_VAR: 'step-wins' } },
        ),
      ],
      {
        environment: { JOB_VAR: 'job' },
        docker: { primary: image(), services: [image({ name: 'db', command: ['sleep', 'infinity'] })] },
      },
    );
    const sink = new RecordingSink();
    let hostConfig: Promise<Docker.ContainerInspectInfo[]> | undefined;
    sink.onLog = (step) => {
      // WHILE the job runs, look at what it created
      hostConfig ??= step === 1 ? inspectJobContainers(job.jobId) : undefined;
    };
    // WHEN it runs
    const result = await runAndCheckCleanup(job, sink);
    // THEN it succeeds, with each step's output as a user would read it
    expect(result).toEqual({ outcome: 'success' });
    expect(sink.text(1)).toBe('one\ntwo\nthree\n');
    expect(sink.text(2)).toBe('db-resolves\n/root/project\n/bin/bash\n');
    expect(sink.text(3)).toBe('true true abc123 abc123 main widgets from-project step-wins step\n');
    expect(sink.events.map((e) => `${e.index}:${e.status}:${e.exitCode ?? ''}`)).toEqual([
      '1:started:',
      '1:finished:0',
      '2:started:',
      '2:finished:0',
      '3:started:',
      '3:finished:0',
    ]);
    const containers = await hostConfig;
    expect(containers).toHaveLength(2);
    for (const c of containers ?? []) {
      expect(c.Config.Labels).toMatchObject(jobLabels(job.jobId, 1, BUILDER));
      expect(c.HostConfig).toMatchObject({
        Privileged: false,
        NanoCpus: 1e9,
        Memory: 256 * 1024 ** 2,
        PidsLimit: 4096,
      });
      expect(c.HostConfig.Binds ?? []).toEqual([]);
      expect(c.HostConfig.NetworkMode).toMatch(/^gyre-job-/);
    }
  }, 30_000);

  it("runs as an agent's jobs run: the primary in the namespace of the pool's holder, with the circleci script from the read-only tools volume", async () => {
    // GIVEN the agent's pool and tools volume, made ahead of a job with a service named db
    const failures: unknown[] = [];
    const pool = new JobResourcePool(backend, BUILDER, HELPER_IMAGE, 1, (error) => failures.push(error));
    const toolsVolume = new ToolsVolume(backend, BUILDER, HELPER_IMAGE, (error) => failures.push(error));
    pool.fill();
    await until('the pool to make a network and its holder', () => pool.readyCount === 1);
    const job = makeJob(
      [
        run('getent hosts db >/dev/null && echo db-resolves'),
        run('printf "a.test\\nb.test\\nc.test\\n" | circleci tests split --total=2 --index=1'),
        run(
          'touch /gyre/bin/other 2>/dev/null && echo writable || echo read-only; ls -l /gyre/bin/circleci | cut -c1-10',
        ),
      ],
      {
        docker: {
          // root, whom only a read-only mount stops from writing there
          primary: image(),
          services: [image({ name: 'db', command: ['sleep', 'infinity'] })],
        },
        workingDirectory: '/tmp/project',
      },
    );
    const sink = new RecordingSink();
    let containers: Promise<Docker.ContainerInspectInfo[]> | undefined;
    sink.onLog = (step) => {
      containers ??= step === 1 ? inspectJobContainers(job.jobId) : undefined;
    };
    // WHEN it runs with them
    try {
      const result = await runAndCheckCleanup(job, sink, {
        resourcePool: pool,
        toolsVolume,
        helperImage: HELPER_IMAGE,
      });
      // THEN it reaches its service by name through the holder's resolver, splits tests with a
      // script it cannot change, and its primary had no network of its own
      expect(result).toEqual({ outcome: 'success' });
      expect([sink.text(1), sink.text(2), sink.text(3)]).toEqual([
        'db-resolves\n',
        'c.test\n',
        'read-only\n-rwxr-xr-x\n',
      ]);
      const isService = (c: Docker.ContainerInspectInfo) => c.Config.Cmd?.join(' ') === 'sleep infinity';
      const [primary, service] = [(await containers)!.find((c) => !isService(c)), (await containers)!.find(isService)];
      expect(primary!.HostConfig.NetworkMode).toMatch(/^container:[0-9a-f]{64}$/);
      expect(service!.HostConfig.NetworkMode).toMatch(/^gyre-pool-/);
      expect(primary!.Mounts.find((m) => m.Destination === '/gyre/bin')).toMatchObject({ RW: false });
      // AND what it took from the pool went with it; the pool made the next one
      await until('the pool to make the next one', () => pool.readyCount === 1);
      expect(failures).toEqual([]);
    } finally {
      await Promise.all([pool.close(), toolsVolume.remove()]);
    }
    expect(await leftovers(`${LABELS.builder}=${BUILDER}`)).toBe(0);
  }, 60_000);

  it('fails on the first failing step, skips on_success steps and still runs always and on_fail steps', async () => {
    const job = makeJob([
      run('echo ok'),
      run('exit 3', { name: 'npm test' }),
      run('echo skipped'),
      run('echo always', { when: 'always' }),
      run('echo on-fail', { when: 'on_fail' }),
    ]);
    const sink = new RecordingSink();
    const result = await runAndCheckCleanup(job, sink);
    expect(result).toMatchObject({
      outcome: 'failed',
      message: 'step 2 `npm test` exited with 3',
      failedStep: { index: 2, name: 'npm test', exitCode: 3 },
    });
    expect(sink.events.filter((e) => e.status === 'started').map((e) => e.index)).toEqual([1, 2, 4, 5]);
    expect(sink.text(4)).toBe('always\n');
    expect(sink.text(5)).toBe('on-fail\n');
  }, 30_000);

  it('runs a background step alongside later steps and kills a step that is silent for too long', async () => {
    const job = makeJob([
      run('echo bg-started; sleep 600', { background: true }),
      run('sleep 1; echo foreground'),
      run('echo going-quiet; sleep 60', { name: 'quiet', noOutputTimeoutMs: 1_500 }),
    ]);
    const sink = new RecordingSink();
    const started = Date.now();
    const result = await runAndCheckCleanup(job, sink);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result).toMatchObject({ outcome: 'failed', failedStep: { index: 3, name: 'quiet' } });
    expect(result.message).toMatch(/^step 3 `quiet` was killed after .* without output \(no_output_timeout\)$/);
    expect(sink.text(1)).toBe('bg-started\n');
    expect(sink.text(2)).toBe('foreground\n');
    expect(sink.events.filter((e) => e.index === 1).map((e) => e.status)).toEqual(['started', 'finished']);
  }, 30_000);

  it('stops reading a step while the sink has no room: the process waits, nothing is lost, and waiting is not silence', async () => {
    // GIVEN a step printing 6.9 MB of numbered lines and then a marker, with a 1 s no_output_timeout
    const job = makeJob([run('seq 1000000; echo after-the-flood', { noOutputTimeoutMs: 1_000 })]);
    // AND a sink that says "no room" after its first 64 KiB, until the test has watched it for 2 s
    const sink = new RecordingSink();
    let received = 0;
    let held = false;
    let makeRoom!: () => void;
    const room = new Promise<void>((resolve) => (makeRoom = resolve));
    const backlog: RunnerSink = {
      log: (step, data) => {
        if (step === 1) received += data.length;
        sink.log(step, data);
      },
      room: () => {
        if (received < 64 * 1024 || held) return undefined;
        held = true;
        return room;
      },
      step: (event) => sink.step(event),
    };
    const whileHeld = (async () => {
      await until('the sink to hold the step', () => held, { timeoutMs: 30_000, intervalMs: 100 });
      // What arrives over 2 s of the wait, once the engine read under way when it began is through
      const before = received;
      await sleep(2_000);
      const arrived = received - before;
      makeRoom();
      return arrived;
    })();
    // WHEN it runs
    const result = await runAndCheckCleanup(job, backlog);
    // THEN reading stopped while held (the step's pipe and the engine's buffers hold far less than it printed)
    expect(await whileHeld).toBe(0);
    expect(held).toBe(true);
    // AND the wait did not count as silence, and every byte arrived in order
    expect(result).toEqual({ outcome: 'success' });
    const expected = Array.from({ length: 1_000_000 }, (_, i) => `${i + 1}\n`).join('');
    expect(sink.text(1) === `${expected}after-the-flood\n`).toBe(true);
  }, 60_000);

  it('finishes a step that exited while its output waited only once the wait is over', async () => {
    // GIVEN a step that prints 200 kB at once and exits, and a sink with no room for 2 s after its first output
    const job = makeJob([run('head -c 200000 /dev/zero | tr "\\0" x; echo', { noOutputTimeoutMs: 500 })]);
    const sink = new RecordingSink();
    let roomAt: number | undefined;
    let finishedAt: number | undefined;
    const slow: RunnerSink = {
      log: (step, data) => sink.log(step, data),
      room: () => {
        if (roomAt !== undefined) return undefined;
        roomAt = Date.now() + 2_000;
        return new Promise((resolve) => setTimeout(resolve, 2_000));
      },
      step: (event) => {
        if (event.index === 1 && event.status === 'finished') finishedAt = Date.now();
        sink.step(event);
      },
    };
    // WHEN it runs
    const result = await runAndCheckCleanup(job, slow);
    // THEN the step finished after the wait (not when the engine closed the stream), with all its
    // output, and its 500 ms no_output_timeout, suspended during the wait, was not armed again after it
    expect(result).toEqual({ outcome: 'success' });
    expect(finishedAt).toBeGreaterThanOrEqual(roomAt!);
    expect(sink.text(1)).toBe(`${'x'.repeat(200_000)}\n`);
    await sleep(1_000);
    expect(sink.text(1)).toBe(`${'x'.repeat(200_000)}\n`);
  }, 30_000);

  /** Runs `job`, cancels it once step 1 has printed `running`, checks it ended canceled, and returns its output. */
  async function cancelOnceRunning(job: RunnerJob, killGraceMs: number): Promise<RecordingSink> {
    const sink = new RecordingSink();
    const controller = new AbortController();
    sink.onLog = (step, text) => {
      if (step === 1 && text.includes('running')) controller.abort();
    };
    const result = await runAndCheckCleanup(job, sink, { signal: controller.signal, killGraceMs });
    expect(result).toMatchObject({ outcome: 'canceled' });
    return sink;
  }

  it('cancels a running job when its signal is aborted', async () => {
    // A grace period longer than the test's own time limit: the job must end when its processes do.
    const sink = await cancelOnceRunning(
      makeJob([run('echo running; sleep 60'), run('echo never', { when: 'always' })]),
      120_000,
    );
    expect(sink.text(0)).toContain('Every process of the job ended after SIGTERM');
    expect(sink.text(0)).not.toContain('SIGKILL');
    expect(sink.text(2)).toBe('');
  }, 60_000);

  it('gives a step that handles SIGTERM its grace period to clean up', async () => {
    const sink = await cancelOnceRunning(
      makeJob([run("trap 'echo cleaning; sleep 2; echo cleaned; exit 0' TERM; echo running; sleep 60 & wait")]),
      20_000,
    );
    expect(sink.text(1)).toBe('running\ncleaning\ncleaned\n');
    expect(sink.text(0)).toContain('Every process of the job ended after SIGTERM');
  }, 60_000);

  it('kills what ignores SIGTERM once the grace period is over', async () => {
    // An ignored signal stays ignored across exec, so `sleep` ignores SIGTERM too.
    const sink = await cancelOnceRunning(makeJob([run("trap '' TERM; echo running; sleep 60")]), 1_000);
    expect(sink.text(0)).toContain('Processes still running 1s after SIGTERM: sending SIGKILL');
  }, 60_000);

  it("waits for processes that left the step's process group, as `timeout` does", async () => {
    // The trailing echo keeps bash from exec-ing `timeout`, which then makes a process group of its
    // own; the shell dies on SIGTERM at once, but what runs under `timeout` ignores it.
    const sink = await cancelOnceRunning(
      makeJob([run(`echo running; timeout 60 sh -c "trap '' TERM; sleep 50"; echo after`)]),
      1_000,
    );
    expect(sink.text(0)).toContain('Processes still running 1s after SIGTERM: sending SIGKILL');
  }, 60_000);

  it('fails a job that runs past its time limit', async () => {
    const job = makeJob([run('sleep 60')]);
    const result = await runAndCheckCleanup(job, new RecordingSink(), { jobTimeoutMs: 2_000 });
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe('the job exceeded its time limit of 2s');
  }, 30_000);

  it('fails with a clear message when an image is neither present nor pullable', async () => {
    const job = makeJob([run('true')], {
      docker: { primary: image({ image: 'gyre/does-not-exist:1' }), services: [] },
    });
    const sink = new RecordingSink();
    const result = await runAndCheckCleanup(job, sink);
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/^Image gyre\/does-not-exist:1 is not on this builder and could not be pulled: .+/);
    expect(sink.text(0)).toContain('gyre/does-not-exist:1');
    expect(sink.events).toEqual([]);
  }, 60_000);

  it('fails a checkout step with a clear message when no helper image is given', async () => {
    const job = makeJob([{ type: 'checkout' }, run('echo after')]);
    const result = await runAndCheckCleanup(job, new RecordingSink());
    expect(result).toMatchObject({ outcome: 'failed', failedStep: { index: 1, name: 'Checkout code', exitCode: 1 } });
    expect(result.message).toMatch(/checkout needs the helper image/);
  }, 30_000);

  it('checks out the commit with the helper image into the working directory, without git in the job image', async () => {
    // GIVEN a pushed commit on a git server on this host, and the egress policy enforced on it
    gitServer = await startGitServer();
    await gitServer.createRepo('widgets');
    const { sha } = await gitServer.push('widgets', { 'hello.txt': 'hello from git\n' });
    const base = makeJob([
      { type: 'checkout' },
      run('cat hello.txt; command -v git || echo no-git-here; pwd; stat -c %u:%g /gyre/workspace/checkout/.git/HEAD'),
    ]);
    const gitUrl = gitServer.url('widgets');
    const job = { ...base, context: { ...base.context, gitUrl, sha } };
    await enforceEgress(backend, []);
    // WHEN the job runs with the agent's image as helper, THEN the clone is refused: the helper
    // runs on the job's network, whose traffic to this host the policy refuses
    const refused = new RecordingSink();
    const blocked = await runAndCheckCleanup(job, refused, { helperImage: 'gyre/app:0.1.0' });
    expect(blocked.failedStep).toMatchObject({ index: 1, name: 'Checkout code' });
    expect(refused.text(1)).toMatch(/Connection refused|unable to connect/);
    // WHEN the policy opens the server's port to jobs, as GYRE_EGRESS_ALLOW would
    await enforceEgress(backend, [gitServer.egressEntry]);
    const sink = new RecordingSink();
    const result = await runAndCheckCleanup(job, sink, { helperImage: 'gyre/app:0.1.0' });
    // THEN the step sees the files at the commit
    expect(result).toEqual({ outcome: 'success' });
    expect(sink.text(1)).toContain(`Checked out ${sha}`);
    // (git ran as nobody: the clone it left in the workspace volume is nobody's)
    expect(sink.text(2)).toBe('hello from git\nno-git-here\n/root/project\n65534:65534\n');
  }, 60_000);

  it('removes what a crashed builder left behind, and does it again harmlessly', async () => {
    // GIVEN objects of a builder that crashed mid-job
    const crashed = `${BUILDER}-crashed`;
    const labels = jobLabels(1, 1, crashed);
    await docker.createNetwork({ Name: `gyre-crash-${process.pid}`, Labels: labels });
    await docker.createVolume({ Name: `gyre-crash-${process.pid}`, Labels: labels });
    const container = await docker.createContainer({ Image: JOB_IMAGE, Cmd: ['sleep', 'infinity'], Labels: labels });
    await container.start();
    // WHEN the builder starts again
    await cleanupBuilder(backend, crashed);
    await cleanupBuilder(backend, crashed);
    // THEN nothing of it is left
    expect(await leftovers(`${LABELS.builder}=${crashed}`)).toBe(0);
  }, 30_000);
});

async function inspectJobContainers(jobId: number): Promise<Docker.ContainerInspectInfo[]> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${LABELS.job}=${jobId}`] }),
  });
  return Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
}
