/**
 * Job start and footprint (issue 21), in one run on this machine's Docker Engine.
 *
 * Start latency: from a signed GitHub push webhook being sent to the first output of a one-step
 * job (`run: date +%s%N`, warm image, no checkout), through the real services app, PostgreSQL,
 * git and `gyre agent` as its own process with 1 slot. The step prints the time it ran, so the
 * figure does not depend on how fast logs travel back. Baseline, same run: `docker run --rm IMAGE
 * date +%s%N`, from the spawn to the printed time. Goal: Gyre minus the baseline ≤ 150 ms at p50.
 *
 * Footprint: the RSS of the agent's process and of the services app's (`gyre serve`, spawned as
 * the app container runs it) idle after start, then after BENCH_FOOTPRINT_JOBS no-op jobs (1,000 by
 * default) and after a tenth of them, whose ratio is the leak check. Goals: agent ≤ 100 MB idle and
 * ≤ 110 MB after 1,000 jobs; services app ≤ 250 MB after 1,000 jobs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAgent, type AgentProcess } from '../test/support/agent-under-test.js';
import { startGitServer, type GitServer } from '../test/support/git-server.js';
import { deliverWebhook, pushPayloadFor } from '../test/support/github-examples.js';
import { jobLog, waitForJobs } from '../test/support/pipeline-runs.js';
import { spawnServicesUnderTest, type AppUnderTest } from '../test/support/services-under-test.js';
import { until } from '../test/support/until.js';
import { AGENT_PROCESS_ENVIRONMENT } from '../src/protocol/index.js';
import { APP_PROCESS_ENVIRONMENT } from '../src/render/services-model.js';
import { printedTime, rawDockerRun } from './docker-run-baseline.js';
import { NO_OP_IMAGE, noOpPipeline } from './no-op-pipeline.js';
import { percentile, round } from './stats.js';

const RUNS = Number(process.env['BENCH_START_RUNS'] ?? 20);
const FOOTPRINT_JOBS = Number(process.env['BENCH_FOOTPRINT_JOBS'] ?? 1000);
const IMAGE = NO_OP_IMAGE;
const REPOSITORY = 'bench-org/start';
const MB = 1024 * 1024;

const ONE_STEP = `version: 2.1
jobs:
  first: { docker: [{ image: ${IMAGE} }], steps: [{ run: "date +%s%N" }] }
workflows:
  main: { jobs: [first] }
`;

interface Bench {
  readonly gyre: AppUnderTest;
  readonly git: GitServer;
  readonly project: { id: number; webhookSecret: string };
}

/** Pushes `config` and sends GitHub's signed push for it; the pipeline and when the webhook was sent. */
async function push(bench: Bench, config: string, change: string): Promise<{ pipelineId: number; sent: number }> {
  const { sha } = await bench.git.push('start', { '.circleci/config.yml': config, 'change.txt': change });
  const body = pushPayloadFor(sha, { repository: { full_name: REPOSITORY, name: 'start' } });
  const sent = Date.now();
  const response = await deliverWebhook(
    `${bench.gyre.base}/webhooks/github?project=${bench.project.id}`,
    body,
    bench.project.webhookSecret,
  );
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
  return { pipelineId: ((await response.json()) as { pipeline: { id: number } }).pipeline.id, sent };
}

async function startLatency(bench: Bench, run: number): Promise<number> {
  const { pipelineId, sent } = await push(bench, ONE_STEP, `run ${run}`);
  const [job] = await waitForJobs(bench.gyre, pipelineId);
  if (job?.state !== 'success') throw new Error(`the one-step job ended ${JSON.stringify(job)}`);
  return printedTime(await jobLog(bench.gyre, job.id)) - sent;
}

/** Resident set of a process, from the kernel. */
function rssOf(pid: number): number {
  const found = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!found) throw new Error(`no VmRSS for process ${pid}`);
  return Number(found[1]) * 1024;
}

/** Runs `count` no-op jobs in pipelines of at most 100, one after the other. */
async function runNoOps(bench: Bench, count: number, label: string): Promise<void> {
  for (let done = 0; done < count;) {
    const size = Math.min(100, count - done);
    const { pipelineId } = await push(bench, noOpPipeline(size), `${label} ${done}`);
    const jobs = await waitForJobs(bench.gyre, pipelineId, undefined, 1_800_000);
    const failed = jobs.filter((j) => j.state !== 'success');
    if (failed.length > 0) throw new Error(`${failed.length} no-op jobs did not succeed`);
    done += size;
  }
}

async function main(): Promise<void> {
  const raw: number[] = [];
  for (let i = 0; i < RUNS; i++) raw.push(await rawDockerRun());
  const [gyre, git] = await Promise.all([spawnServicesUnderTest(APP_PROCESS_ENVIRONMENT), startGitServer()]);
  let agent: AgentProcess | undefined;
  try {
    await git.createRepo('start');
    const project = (await (
      await gyre.api('/api/v1/projects', {
        body: { name: REPOSITORY, gitUrl: git.url('start'), repository: REPOSITORY },
      })
    ).json()) as Bench['project'];
    const bench = { gyre, git, project };
    agent = await spawnAgent(gyre.base, 'bench-start', mkdtempSync(join(tmpdir(), 'gyre-bench-agent-')), {
      GYRE_BUILDER_SLOTS: '1',
      GYRE_LOG_LEVEL: 'warn',
      // As the builder stack runs it.
      ...AGENT_PROCESS_ENVIRONMENT,
    });
    const pid = agent.child.pid!;
    await until('the bench builder to register', async () => (await gyre.client.builders()).length > 0 || undefined, {
      timeoutMs: 120_000,
    });
    // The first job pays for JIT and the first image inspect: warm up before timing.
    await startLatency(bench, -1);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idleRss = rssOf(pid);
    const appIdleRss = rssOf(gyre.pid);
    const gyreLatency: number[] = [];
    for (let i = 0; i < RUNS; i++) gyreLatency.push(await startLatency(bench, i));
    const tenth = Math.max(1, Math.round(FOOTPRINT_JOBS / 10));
    await runNoOps(bench, tenth, 'tenth');
    const tenthRss = rssOf(pid);
    const appTenthRss = rssOf(gyre.pid);
    await runNoOps(bench, FOOTPRINT_JOBS - tenth, 'rest');
    const allRss = rssOf(pid);
    const appAllRss = rssOf(gyre.pid);

    const p50 = (sample: number[]) =>
      percentile(
        [...sample].sort((a, b) => a - b),
        50,
      );
    console.log(`\nJob start: signed push webhook sent → first output of a one-step job, ${RUNS} runs each\n`);
    console.table([
      { run: 'gyre (1 slot, warm image, no checkout)', 'p50 ms': round(p50(gyreLatency)) },
      { run: `baseline: docker run --rm ${IMAGE} date`, 'p50 ms': round(p50(raw)) },
    ]);
    console.log(`start latency over raw docker run at p50: ${round(p50(gyreLatency) - p50(raw))} ms (goal ≤ 150)`);
    console.log(`\nFootprint: RSS of the gyre agent and the gyre serve processes\n`);
    console.table([
      { when: 'idle after start', 'agent MB': round(idleRss / MB), 'services app MB': round(appIdleRss / MB) },
      {
        when: `after ${tenth + RUNS + 1} jobs`,
        'agent MB': round(tenthRss / MB),
        'services app MB': round(appTenthRss / MB),
      },
      {
        when: `after ${FOOTPRINT_JOBS + RUNS + 1} jobs`,
        'agent MB': round(allRss / MB),
        'services app MB': round(appAllRss / MB),
      },
    ]);
    console.log(
      `leak check, RSS after all jobs / after a tenth: agent ${round(allRss / tenthRss)}, services app ${round(appAllRss / appTenthRss)}`,
    );
    console.log('goals: agent ≤ 100 MB idle and ≤ 110 MB after 1,000 jobs; services app ≤ 250 MB after 1,000 jobs');
  } finally {
    agent?.child.kill('SIGTERM');
    await agent?.exited;
    await Promise.all([gyre.stop(), git.stop()]);
  }
}

await main();
