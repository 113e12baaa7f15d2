/**
 * Builder throughput (issues 5 and 21): the wall time of N no-op jobs through Gyre on one builder
 * (the real services app, PostgreSQL, git and the agent on this machine's Docker Engine), against
 * a raw `docker run --rm` loop of the same image at the same concurrency, in the same run, at 1,
 * 2 and 4 slots. The ratio is what to read: the machines are shared and noisy. Goal: ≤ 1.15.
 *
 * Gyre's time runs from the pipeline trigger to the last job's completion, so it includes config
 * fetch and parse, scheduling, per-job network and volume, the kept-alive primary, `docker exec`
 * of the step and log shipping; removal runs after each job's completion.
 */
import { spawn } from 'node:child_process';
import { startAgent } from '../test/support/agent-under-test.js';
import { startGitServer, type GitServer } from '../test/support/git-server.js';
import { pushAndTrigger, waitForJobs } from '../test/support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../test/support/services-under-test.js';
import { NO_OP_IMAGE, noOpPipeline } from './no-op-pipeline.js';
import { round } from './stats.js';

const JOBS = Number(process.env['BENCH_AGENT_JOBS'] ?? 60);
const SLOT_COUNTS = (process.env['BENCH_AGENT_SLOTS'] ?? '1,2,4').split(',').map(Number);
const IMAGE = NO_OP_IMAGE;

async function throughGyre(gyre: ServicesUnderTest, git: GitServer, projectId: number, slots: number): Promise<number> {
  const agent = await startAgent(gyre.base, `bench-builder-${slots}`, {
    slots: { slots, slotCpus: 0, slotMemoryBytes: 4 * 1024 ** 3 },
    heartbeatIntervalMs: 15_000,
  });
  try {
    const started = performance.now();
    const pipeline = await pushAndTrigger(gyre, git, { repo: 'bench', projectId }, noOpPipeline(JOBS), {
      'slots.txt': String(slots),
    });
    const jobs = await waitForJobs(gyre, pipeline, undefined, 1_800_000);
    const elapsed = performance.now() - started;
    const failed = jobs.filter((j) => j.state !== 'success');
    if (failed.length > 0)
      throw new Error(`${failed.length} no-op jobs did not succeed: ${JSON.stringify(failed.slice(0, 3))}`);
    return elapsed;
  } finally {
    agent.drain();
    await agent.done;
  }
}

/** `docker run --rm IMAGE true`, JOBS times, `slots` at a time. */
async function rawDockerRun(slots: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
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

const [gyre, git] = await Promise.all([startServicesUnderTest({ reapIntervalMs: 1000 }), startGitServer()]);
const rows = [];
try {
  await git.createRepo('bench');
  const project = (await (
    await gyre.api('/api/v1/projects', { body: { name: 'bench/noop', gitUrl: git.url('bench') } })
  ).json()) as { id: number };
  for (const slots of SLOT_COUNTS) {
    const raw = await rawDockerRun(slots);
    const through = await throughGyre(gyre, git, project.id, slots);
    rows.push({
      slots,
      'raw docker run s': round(raw / 1000),
      'gyre s': round(through / 1000),
      'raw ms/job': round(raw / JOBS),
      'gyre ms/job': round(through / JOBS),
      'ratio (goal ≤ 1.15)': round(through / raw),
    });
  }
} finally {
  await Promise.all([gyre.stop(), git.stop()]);
}
console.log(`\nThroughput: ${JOBS} no-op jobs on one builder, against a raw docker run loop at the same concurrency\n`);
console.table(rows);
