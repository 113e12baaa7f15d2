/**
 * Builder benchmark (issue 5): the wall time of 100 no-op jobs through Gyre on one builder (the
 * real services app, PostgreSQL, git and `gyre agent` on this machine's Docker Engine), against a
 * raw `docker run --rm` loop of the same image at the same concurrency, in the same run.
 * The ratio is what to read: the machines are shared and noisy.
 *
 * Gyre's time runs from the pipeline trigger to the last job's completion, so it includes config
 * fetch and parse, scheduling, per-job network and volume, the kept-alive primary, `docker exec`
 * of the step, log shipping and cleanup by label.
 */
import { spawn } from 'node:child_process';
import { startAgent } from '../test/support/agent-under-test.js';
import { startGitServer } from '../test/support/git-server.js';
import { pushAndTrigger, waitForJobs } from '../test/support/pipeline-runs.js';
import { startServicesUnderTest } from '../test/support/services-under-test.js';
import { NO_OP_IMAGE, noOpPipeline } from './no-op-pipeline.js';
import { round } from './stats.js';

const JOBS = Number(process.env['BENCH_AGENT_JOBS'] ?? 100);
const SLOTS = Number(process.env['BENCH_AGENT_SLOTS'] ?? 2);
const IMAGE = NO_OP_IMAGE;

async function throughGyre(): Promise<number> {
  const [gyre, git] = await Promise.all([startServicesUnderTest({ reapIntervalMs: 1000 }), startGitServer()]);
  try {
    await git.createRepo('bench');
    const created = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'bench/noop', gitUrl: git.url('bench') } })
    ).json()) as { id: number };
    const agent = await startAgent(gyre.base, 'bench-builder', {
      slots: { slots: SLOTS, slotCpus: 0, slotMemoryBytes: 4 * 1024 ** 3 },
      heartbeatIntervalMs: 15_000,
    });
    const started = performance.now();
    const pipeline = await pushAndTrigger(gyre, git, { repo: 'bench', projectId: created.id }, noOpPipeline(JOBS));
    const jobs = await waitForJobs(gyre, pipeline, undefined, 1_800_000);
    const elapsed = performance.now() - started;
    const failed = jobs.filter((j) => j.state !== 'success');
    if (failed.length > 0)
      throw new Error(`${failed.length} no-op jobs did not succeed: ${JSON.stringify(failed.slice(0, 3))}`);
    agent.drain();
    await agent.done;
    return elapsed;
  } finally {
    await Promise.all([gyre.stop(), git.stop()]);
  }
}

/** `docker run --rm IMAGE true`, JOBS times, SLOTS at a time. */
async function rawDockerRun(): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SLOTS }, async () => {
      while (next < JOBS) {
        next++;
        await new Promise<void>((resolve, reject) => {
          const child = spawn('docker', ['run', '--rm', IMAGE, 'true'], { stdio: 'ignore' });
          child.once('error', reject);
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
        });
      }
    }),
  );
  return performance.now() - started;
}

const raw = await rawDockerRun();
const gyre = await throughGyre();
const perJob = (ms: number) => round(ms / JOBS);
console.log(
  JSON.stringify(
    {
      benchmark: `${JOBS} no-op jobs, ${SLOTS} at a time, one builder`,
      rawDockerRun: { wallSeconds: round(raw / 1000), msPerJob: perJob(raw) },
      gyre: { wallSeconds: round(gyre / 1000), msPerJob: perJob(gyre) },
      ratio: round(gyre / raw),
    },
    null,
    2,
  ),
);
