/**
 * Docker in builds benchmark (issue 18): a small `docker build` through `setup_remote_docker` (the
 * job's own rootless engine, started for it), against the same `docker build` on the host's
 * engine, in the same run. Each side builds `BENCH_DOCKER_RUNS` times from an empty cache: the
 * job's engine starts empty every time, so the host's build cache is cleared between its builds too.
 *
 * Gyre's time is the job's, runner-level (no scheduling): the primary and its network, the
 * engine's start, the client certificate, the import of a base image and the build. The host's
 * is the same import and build. The ratio is what to read: the machines are shared and noisy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { cleanupBuilder, runJob } from '../src/builder/runner/index.js';
import { DockerJobBackend } from '../src/docker/index.js';
import { image, makeJob, RecordingSink, run } from '../test/support/runner-jobs.js';
import { percentile, round } from './stats.js';

const exec = promisify(execFile);
const RUNS = Number(process.env['BENCH_DOCKER_RUNS'] ?? 5);
const MACHINE_IMAGE = 'gyre/machine:0.1.0';
const ENGINE_IMAGE = 'gyre/engine:0.1.0';
const BUILDER = `bench-remote-docker-${process.pid}`;

/** A base image of a few of the primary's own files (no registry here), then a one-layer build on it. */
const BUILD = String.raw`set -e
files="/usr/bin/dash /usr/bin/cat $(ldd /usr/bin/dash /usr/bin/cat | awk '/=>/{print $3} /ld-linux/{print $1}' | sort -u)"
tar -chf - $files 2>/dev/null | docker import - bench-base:1 >/dev/null
mkdir -p /tmp/ctx && cd /tmp/ctx
printf 'FROM bench-base:1\nRUN ["/usr/bin/dash", "-c", "echo built > /built"]\n' > Dockerfile
DOCKER_BUILDKIT=0 docker build -q -t bench-built:1 . >/dev/null`;

async function throughGyre(backend: DockerJobBackend): Promise<number> {
  const started = performance.now();
  const sink = new RecordingSink();
  const result = await runJob(
    backend,
    makeJob(
      [{ type: 'setup_remote_docker', name: 'engine', when: 'on_success', dockerLayerCaching: false }, run(BUILD)],
      { docker: { primary: image({ image: MACHINE_IMAGE }), services: [] } },
    ),
    sink,
    { builderName: BUILDER, room: { cpus: 2, memoryBytes: 2 * 1024 ** 3 }, engineImage: ENGINE_IMAGE },
  );
  if (result.outcome !== 'success') throw new Error(`the job failed: ${result.message}: ${sink.text(2)}`);
  return performance.now() - started;
}

/** The same import and build on the host's engine, from the machine image's files, with no cache left. */
async function onTheHost(folder: string): Promise<number> {
  // Its own images only: the legacy builder's cache is in them (BuildKit's, which is not used, is left alone).
  await exec('docker', ['rmi', '-f', 'bench-built:1', 'bench-base:1']).catch(() => undefined);
  const started = performance.now();
  await exec('sh', [
    '-c',
    `docker run --rm --entrypoint sh ${MACHINE_IMAGE} -c ${shellQuote(EXPORT)} | docker import - bench-base:1 >/dev/null`,
  ]);
  await exec('docker', ['build', '-q', '-t', 'bench-built:1', folder], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  return performance.now() - started;
}

const EXPORT = String.raw`files="/usr/bin/dash /usr/bin/cat $(ldd /usr/bin/dash /usr/bin/cat | awk '/=>/{print $3} /ld-linux/{print $1}' | sort -u)"; tar -chf - $files 2>/dev/null`;

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

async function main(): Promise<void> {
  const backend = new DockerJobBackend(new Docker());
  const folder = mkdtempSync(join(tmpdir(), 'gyre-bench-build-'));
  writeFileSync(join(folder, 'Dockerfile'), 'FROM bench-base:1\nRUN ["/usr/bin/dash", "-c", "echo built > /built"]\n');
  const gyre: number[] = [];
  const host: number[] = [];
  try {
    // Alternating, so a slow moment of the shared machine falls on both sides alike.
    for (let i = 0; i < RUNS; i++) {
      host.push(await onTheHost(folder));
      gyre.push(await throughGyre(backend));
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await exec('docker', ['rmi', '-f', 'bench-built:1', 'bench-base:1']).catch(() => undefined);
    await cleanupBuilder(backend, BUILDER);
  }
  const median = (sample: number[]) =>
    percentile(
      [...sample].sort((a, b) => a - b),
      50,
    );
  const gyreMs = median(gyre);
  const hostMs = median(host);
  console.log(
    JSON.stringify(
      {
        benchmark: 'docker build through setup_remote_docker vs on the host',
        runs: RUNS,
        hostMedianMs: round(hostMs),
        gyreMedianMs: round(gyreMs),
        ratio: round(gyreMs / hostMs),
        note: "Gyre's time includes the job's primary, network and the engine's start; the host's engine is already up",
      },
      null,
      2,
    ),
  );
}

await main();
