/**
 * Idle soak (issue 12): the single-machine install as `gyre up` plus `gyre builder join` make it
 * (services stack, bundled PostgreSQL, one local builder), left idle with no job queued for
 * BENCH_IDLE_MINUTES (10 by default), after BENCH_IDLE_WARMUP_SECONDS (60). It prints what an idle install costs its machine:
 * - protocol requests per second from the builder, counted by a plain HTTP forwarder between the
 *   agent and the services box (so the figure does not depend on either side's logging);
 * - the CPU of each container, from its cgroup's usage over the window, in % of one core;
 * - the bytes each container's log grows by, per minute (Docker's json-file log on disk);
 * - the RSS of the app and of the agent at the start and at the end of the window.
 * Goals: under 1 request/s per builder, under 2% of a core in all, under 10 KB of logs a minute,
 * and flat RSS. There is no baseline to divide by: an idle install should cost next to nothing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { BUILDER_API_PREFIX } from '../src/protocol/index.js';
import { RecordingProxy } from '../test/support/recording-proxy.js';
import { GYRE_CLI, initInstall, runGyre } from './run-gyre.js';
import { round } from './stats.js';

const MINUTES = Number(process.env['BENCH_IDLE_MINUTES'] ?? 10);
/** Start-up work (migrations, JIT, the first health checks) is not idle cost: the window opens after it. */
const WARMUP_SECONDS = Number(process.env['BENCH_IDLE_WARMUP_SECONDS'] ?? 60);
const BUILDER = 'soak';
const docker = new Docker();

interface Sample {
  readonly cpuNs: number;
  readonly rssBytes: number;
  readonly logBytes: number;
}

/** Gyre's containers: the services stack and the soak builder, by Compose service. */
async function containers(): Promise<Map<string, Docker.Container>> {
  const listed = await docker.listContainers({ filters: JSON.stringify({ label: ['io.gyre.service'] }) });
  const ours = listed.filter(
    (c) =>
      c.Labels['com.docker.compose.project'] === 'gyre-services' ||
      c.Labels['com.docker.compose.project'] === `gyre-builder-${BUILDER}`,
  );
  return new Map(ours.map((c) => [c.Labels['io.gyre.service']!, docker.getContainer(c.Id)]));
}

async function sample(container: Docker.Container): Promise<Sample> {
  const [stats, details] = await Promise.all([container.stats({ stream: false }), container.inspect()]);
  const memory = stats.memory_stats.stats as Record<string, number | undefined>;
  // cgroup v1 reports `rss`, v2 `anon`: the process's own memory, without the page cache.
  return {
    cpuNs: stats.cpu_stats.cpu_usage.total_usage,
    rssBytes: memory['rss'] ?? memory['anon'] ?? 0,
    logBytes: logSize(details.LogPath),
  };
}

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    // Rotated away this instant: the new file is empty.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function soak(): Promise<object> {
  const work = mkdtempSync(join(tmpdir(), 'gyre-soak-'));
  let proxy: RecordingProxy | undefined;
  try {
    const httpPort = await initInstall(work);
    await runGyre(work, ['up']);
    proxy = await RecordingProxy.start(`http://127.0.0.1:${httpPort}`);
    await runGyre(work, [
      'builder',
      'join',
      '--name',
      BUILDER,
      '--slots',
      '1',
      '--slot-cpus',
      '0',
      '--services-url',
      proxy.url,
    ]);

    await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
    const parts = await containers();
    const names = [...parts.keys()].sort();
    const before = new Map(
      await Promise.all(names.map(async (name) => [name, await sample(parts.get(name)!)] as const)),
    );
    const requestsBefore = proxy.total();
    const leasesBefore = proxy.count(`${BUILDER_API_PREFIX}/lease`);
    const started = performance.now();
    // The measuring window itself: what an idle install does in it is the result.
    await new Promise((resolve) => setTimeout(resolve, MINUTES * 60_000));
    const seconds = (performance.now() - started) / 1000;
    const after = new Map(
      await Promise.all(names.map(async (name) => [name, await sample(parts.get(name)!)] as const)),
    );

    const perContainer = Object.fromEntries(
      names.map((name) => {
        const [b, a] = [before.get(name)!, after.get(name)!];
        return [
          name,
          {
            cpuPercentOfCore: round(((a.cpuNs - b.cpuNs) / 1e9 / seconds) * 100),
            logBytesPerMinute: round(Math.max(0, a.logBytes - b.logBytes) / (seconds / 60)),
            rssMiB: { start: mib(b.rssBytes), end: mib(a.rssBytes) },
          },
        ];
      }),
    );
    const sum = (pick: (c: { cpuPercentOfCore: number; logBytesPerMinute: number }) => number) =>
      round(Object.values(perContainer).reduce((total, c) => total + pick(c), 0));
    return {
      benchmark: `idle install (services, PostgreSQL, 1 builder) for ${MINUTES} min`,
      cli: GYRE_CLI,
      requestsPerSecond: round((proxy.total() - requestsBefore) / seconds),
      leaseCallsPerMinute: round(((proxy.count(`${BUILDER_API_PREFIX}/lease`) - leasesBefore) / seconds) * 60),
      cpuPercentOfCore: sum((c) => c.cpuPercentOfCore),
      logBytesPerMinute: sum((c) => c.logBytesPerMinute),
      containers: perContainer,
      goals: {
        requestsPerSecond: '< 1 per builder',
        cpuPercentOfCore: '< 2 in all',
        logBytesPerMinute: '< 10240',
        rss: 'flat',
      },
    };
  } finally {
    await proxy?.stop();
    await runGyre(work, ['down', '--volumes', '--yes']);
    rmSync(work, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => round(bytes / 1024 ** 2);

console.log(JSON.stringify(await soak(), null, 2));
