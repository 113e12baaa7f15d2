/**
 * Logs (issue 21), through the services app, PostgreSQL and `gyre agent` as its own process:
 *
 * - Volume: a job prints BENCH_LOG_MB MiB (100 by default) of known lines; the stored log must
 *   hold them byte for byte. Rate: the bytes over the time from the step's start to the job's
 *   completion, which comes only once every chunk is stored. Baseline, same run: the same command
 *   in `docker run --rm`, its output read to its end by the Docker CLI. Goal: ≥ 50 MB/s.
 * - Live: a job prints the time every 200 ms; a Server-Sent Events reader of the job's log
 *   receives each line this much later. Goal: ≤ 500 ms at p95.
 *
 * GYRE_JOB_LOG_MAX_SIZE is raised above the volume, as an install keeping such logs would.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAgent, type AgentProcess } from '../test/support/agent-under-test.js';
import { startGitServer } from '../test/support/git-server.js';
import { jobDetail, pushAndTrigger, waitForJobs } from '../test/support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../test/support/services-under-test.js';
import { until } from '../test/support/until.js';
import { AGENT_PROCESS_ENVIRONMENT } from '../src/protocol/index.js';
import { NO_OP_IMAGE } from './no-op-pipeline.js';
import { percentile, round } from './stats.js';

const MB = 1024 * 1024;
const LOG_BYTES = Number(process.env['BENCH_LOG_MB'] ?? 100) * MB;
const LINE = 'gyre log bench 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ';
// `yes` ends on SIGPIPE once `head` has enough, which a step's `pipefail` would count as a failure.
const PRINT = `(yes '${LINE}' || true) | head -c ${LOG_BYTES}`;
const TICKS = 50;

function oneJob(command: string): string {
  return `version: 2.1\njobs:\n  print: { docker: [{ image: ${NO_OP_IMAGE} }], steps: [{ run: "${command}" }] }\nworkflows:\n  main: { jobs: [print] }\n`;
}

/** The digest of what PRINT writes. */
function expectedDigest(): string {
  const hash = createHash('sha256');
  const block = `${LINE}\n`.repeat(Math.ceil(MB / (LINE.length + 1)));
  let left = LOG_BYTES;
  while (left > 0) {
    const piece = block.slice(0, Math.min(left, block.length));
    hash.update(piece);
    left -= piece.length;
  }
  return hash.digest('hex');
}

/** `docker run --rm IMAGE sh -c PRINT`, its output hashed as it comes; seconds. */
function rawDockerRun(): Promise<{ seconds: number; digest: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const hash = createHash('sha256');
    const child = spawn('docker', ['run', '--rm', NO_OP_IMAGE, 'sh', '-c', PRINT], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (data: Buffer) => hash.update(data));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve({ seconds: (performance.now() - started) / 1000, digest: hash.digest('hex') })
        : reject(new Error(`docker run exited ${code}`)),
    );
  });
}

/** The volume job: its rate in MB/s, and whether the stored log holds the printed bytes exactly. */
async function volume(gyre: ServicesUnderTest, push: (config: string) => Promise<number>) {
  const [job] = await waitForJobs(gyre, await push(oneJob(PRINT)), undefined, 1_800_000);
  const detail = await jobDetail(gyre, job!.id);
  if (job?.state !== 'success') throw new Error(`the printing job ended ${job?.state}: ${detail.message}`);
  const step = detail.attempts[0]!.steps.find((s) => s.index === 1)!;
  const seconds = (Date.parse(detail.attempts[0]!.finishedAt!) - Date.parse(step.startedAt!)) / 1000;
  const stored = Buffer.from(await (await gyre.api(`/api/v1/jobs/${job.id}/log`)).arrayBuffer());
  const start = stored.indexOf(`${LINE}\n`);
  const printed = start < 0 ? Buffer.alloc(0) : stored.subarray(start, start + LOG_BYTES);
  return {
    seconds,
    exact: printed.length === LOG_BYTES && createHash('sha256').update(printed).digest('hex') === expectedDigest(),
    storedBytes: stored.length,
  };
}

/** The live job: how long after its printing each line reached an SSE reader, in ms. */
async function live(gyre: ServicesUnderTest, push: (config: string) => Promise<number>): Promise<number[]> {
  const pipeline = await push(oneJob(`for i in $(seq ${TICKS}); do date +%s%N; sleep 0.2; done`));
  const [job] = await waitForJobs(gyre, pipeline, (jobs) => jobs.length > 0);
  const response = await gyre.api(`/api/v1/jobs/${job!.id}/log/stream`);
  const opened = Date.now();
  const delays: number[] = [];
  const decoder = new TextDecoder();
  let pending = '';
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    const received = Date.now();
    pending += decoder.decode(bytes, { stream: true });
    const events = pending.split('\n\n');
    pending = events.pop() ?? '';
    for (const event of events) {
      if (/^event: end$/m.test(event)) return delays;
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (!/^event: log$/m.test(event) || data === undefined) continue;
      for (const line of (JSON.parse(data) as { text: string }).text.split('\n')) {
        if (!/^\d{19}$/.test(line)) continue;
        const printedAt = Number(BigInt(line) / 1_000_000n);
        // Lines stored before the reader connected are history, not live delivery.
        if (printedAt >= opened) delays.push(received - printedAt);
      }
    }
  }
  return delays;
}

async function main(): Promise<void> {
  const raw = await rawDockerRun();
  if (raw.digest !== expectedDigest()) throw new Error('the baseline printed other bytes than expected');
  const [gyre, git] = await Promise.all([
    startServicesUnderTest({ settings: { GYRE_JOB_LOG_MAX_SIZE: `${Math.ceil((LOG_BYTES * 1.25) / MB)}M` } }),
    startGitServer(),
  ]);
  let agent: AgentProcess | undefined;
  try {
    await git.createRepo('logs');
    const project = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'bench/logs', gitUrl: git.url('logs') } })
    ).json()) as { id: number };
    agent = await spawnAgent(gyre.base, 'bench-logs', mkdtempSync(join(tmpdir(), 'gyre-bench-agent-')), {
      GYRE_BUILDER_SLOTS: '1',
      GYRE_LOG_LEVEL: 'warn',
      ...AGENT_PROCESS_ENVIRONMENT,
    });
    await until('the bench builder to register', async () => (await gyre.client.builders()).length > 0, {
      timeoutMs: 120_000,
    });
    let pushes = 0;
    const push = (config: string) =>
      pushAndTrigger(gyre, git, { repo: 'logs', projectId: project.id }, config, { 'n.txt': String(++pushes) });
    const stored = await volume(gyre, push);
    const delays = (await live(gyre, push)).sort((a, b) => a - b);
    const mbs = (seconds: number) => round(LOG_BYTES / MB / seconds);
    console.log(`\nLogs: a job printing ${LOG_BYTES / MB} MiB, and a live reader of a job printing every 200 ms\n`);
    console.table([
      { run: 'gyre: step start → completion, every chunk stored', 'MiB/s': mbs(stored.seconds), exact: stored.exact },
      { run: `baseline: docker run --rm ${NO_OP_IMAGE}, read to its end`, 'MiB/s': mbs(raw.seconds), exact: true },
    ]);
    console.log(
      `SSE: ${delays.length} lines, print → reader p50 ${round(percentile(delays, 50))} ms, p95 ${round(percentile(delays, 95))} ms (goal ≤ 500)`,
    );
    if (!stored.exact)
      console.log(
        `NOT BYTE-EXACT: the stored log is ${stored.storedBytes} bytes and does not hold the ${LOG_BYTES} printed (see the README's Benchmarks)`,
      );
  } finally {
    agent?.child.kill('SIGTERM');
    await agent?.exited;
    await Promise.all([gyre.stop(), git.stop()]);
  }
}

await main();
