/**
 * Data between jobs benchmark (issue 15), through the real parts: the services app with its
 * filesystem blob store on PostgreSQL, a real git server, and `gyre agent` as its own process
 * running jobs on this machine's Docker Engine.
 *
 * 1. A cache of BENCH_CACHE_FILES files making BENCH_CACHE_MB (default 20,000 files, 500 MB), half
 *    of them random bytes and half numbered text lines (so it is neither all compressible nor all
 *    not): the time of the `save_cache` and `restore_cache` steps (their durations as the job
 *    detail API records them), against the baseline of plain `tar | zstd` of a folder made by the
 *    same script to local disk and `zstd -d | tar -x` back, with this host's tar and zstd (level 3,
 *    one thread, as the agent compresses), in the same run. The speed ratio (baseline time / Gyre
 *    time) is what to read; the issue's goal is at least 0.7.
 * 2. The builder's resident memory during a BENCH_ARTIFACT_MB (default 2048) `store_artifacts`
 *    upload of random bytes: the agent process's VmRSS sampled every 250 ms, before and at its peak.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobDetailResponse, JobSummaryResponse } from '../src/api/responses.js';
import { spawnAgent } from '../test/support/agent-under-test.js';
import { startGitServer } from '../test/support/git-server.js';
import { byName, jobDetail, jobLog, pushAndTrigger, waitForJobs } from '../test/support/pipeline-runs.js';
import { startServicesUnderTest } from '../test/support/services-under-test.js';
import { isFinalJobState } from '../src/protocol/job-states.js';
import { round } from './stats.js';

const CACHE_MB = Number(process.env['BENCH_CACHE_MB'] ?? 500);
const CACHE_FILES = Number(process.env['BENCH_CACHE_FILES'] ?? 20_000);
const ARTIFACT_MB = Number(process.env['BENCH_ARTIFACT_MB'] ?? 2048);
const IMAGE = 'debian:bookworm-slim';

/**
 * Fills the folder $1 with the cache's files; the same script on the host and in the job. No
 * pipes: steps run with `-o pipefail`, where `seq | head` would end in SIGPIPE.
 */
const GENERATE = `set -e
mkdir -p "$1"; cd "$1"
size=$(( ${CACHE_MB} * 1024 * 1024 / ${CACHE_FILES} ))
i=0
while [ $i -lt ${CACHE_FILES} ]; do
  d=$(( i / 500 )); mkdir -p "d$d"
  if [ $(( i % 2 )) -eq 0 ]; then head -c $size /dev/urandom > "d$d/f$i"
  else seq $i $(( i + size / 4 )) > "d$d/f$i" && truncate -s $size "d$d/f$i"; fi
  i=$(( i + 1 ))
done`;

const indent = (text: string, spaces: number) =>
  text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');

const CONFIG = `version: 2.1
jobs:
  save:
    docker: [{ image: ${IMAGE} }]
    steps:
      - run:
          name: generate
          command: |
${indent(`set -- "$HOME/cache"\n${GENERATE}`, 12)}
      - save_cache: { key: 'bench-{{ epoch }}', paths: [~/cache] }
  restore:
    docker: [{ image: ${IMAGE} }]
    steps:
      - restore_cache: { keys: [bench-] }
      - run: test "$(find ~/cache -type f | wc -l)" -eq ${CACHE_FILES}
  artifact:
    docker: [{ image: ${IMAGE} }]
    steps:
      - run: head -c ${ARTIFACT_MB}M /dev/urandom > /tmp/big.bin
      - store_artifacts: { path: /tmp/big.bin }
workflows:
  bench:
    jobs: [save, { restore: { requires: [save] } }, { artifact: { requires: [restore] } }]
`;

/** Seconds a command line takes (through sh, so pipes work). */
function timed(script: string): number {
  const started = performance.now();
  execFileSync('/bin/sh', ['-c', script], { stdio: 'inherit' });
  return (performance.now() - started) / 1000;
}

function baseline(): { saveSeconds: number; restoreSeconds: number; compressedMB: number } {
  const folder = mkdtempSync(join(tmpdir(), 'gyre-bench-cache-'));
  try {
    execFileSync('/bin/sh', ['-c', GENERATE, 'generate', join(folder, 'src')], { stdio: 'inherit' });
    const archive = join(folder, 'cache.tar.zst');
    const saveSeconds = timed(`tar -C '${folder}/src' -cf - . | zstd -q -3 -T1 -o '${archive}'`);
    const restoreSeconds = timed(`mkdir '${folder}/dst' && zstd -q -dc '${archive}' | tar -C '${folder}/dst' -xf -`);
    return { saveSeconds, restoreSeconds, compressedMB: round(statSync(archive).size / 1024 ** 2) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const stepSeconds = (detail: JobDetailResponse, type: string): number => {
  const step = detail.attempts.at(-1)?.steps.find((s) => s.name.toLowerCase().includes(type));
  if (step?.durationMs == null) throw new Error(`no duration for the ${type} step of job ${detail.id}`);
  return step.durationMs / 1000;
};

const vmRssMB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return line ? round(Number(line[1]) / 1024) : Number.NaN;
};

async function throughGyre() {
  const [gyre, git] = await Promise.all([
    startServicesUnderTest({ settings: { GYRE_ARTIFACT_MAX_SIZE: `${ARTIFACT_MB + 64}M` } }),
    startGitServer(),
  ]);
  const stateDir = mkdtempSync(join(tmpdir(), 'gyre-bench-agent-'));
  const agent = await spawnAgent(gyre.base, 'bench-data', stateDir);
  const pid = agent.child.pid!;
  try {
    await git.createRepo('bench');
    const created = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'bench/data', gitUrl: git.url('bench') } })
    ).json()) as { id: number };
    progress(`pipeline triggered; builder pid ${pid}`);
    const pipeline = await pushAndTrigger(gyre, git, { repo: 'bench', projectId: created.id }, CONFIG);
    // Samples the builder's memory while the jobs run; the artifact job is last.
    const samples: { at: number; rssMB: number; job: string }[] = [];
    let jobs: JobSummaryResponse[] = [];
    const sampler = setInterval(() => {
      const running = jobs.find((j) => j.state === 'running')?.name ?? '';
      samples.push({ at: performance.now(), rssMB: vmRssMB(pid), job: running });
    }, 250);
    try {
      jobs = await waitForJobs(
        gyre,
        pipeline,
        (seen) => {
          if (seen.map((j) => j.state).join() !== jobs.map((j) => j.state).join())
            progress(seen.map((j) => `${j.name} ${j.state}`).join(', '));
          jobs = seen;
          return seen.length === 3 && seen.every((j) => isFinalJobState(j.state));
        },
        3_600_000,
      );
    } finally {
      clearInterval(sampler);
    }
    const failed = jobs.filter((j) => j.state !== 'success');
    if (failed.length > 0) {
      const logs = await Promise.all(
        failed.map(async (j) => `${j.name}: ${(await jobDetail(gyre, j.id)).message}\n${await jobLog(gyre, j.id)}`),
      );
      throw new Error(`jobs did not succeed: ${JSON.stringify(failed)}\n${logs.join('\n')}`);
    }
    progress('reading the step durations');
    const save = await jobDetail(gyre, byName(jobs, 'save').id);
    const restore = await jobDetail(gyre, byName(jobs, 'restore').id);
    const beforeArtifact = samples.filter((s) => s.job !== 'artifact').at(-1)?.rssMB ?? Number.NaN;
    const duringArtifact = samples.filter((s) => s.job === 'artifact').map((s) => s.rssMB);
    return {
      saveSeconds: stepSeconds(save, 'saving cache'),
      restoreSeconds: stepSeconds(restore, 'restoring cache'),
      artifactSeconds: stepSeconds(await jobDetail(gyre, byName(jobs, 'artifact').id), 'uploading artifacts'),
      builderRssMB: {
        beforeArtifact,
        peakDuringArtifact: Math.max(...duringArtifact),
        growth: round(Math.max(...duringArtifact) - beforeArtifact),
        samples: duringArtifact.length,
      },
    };
  } finally {
    progress('stopping the builder');
    agent.child.kill('SIGTERM');
    const exit = await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    if (exit === 'timeout') {
      progress(`the builder did not exit within 30 s of SIGTERM; its output:\n${agent.output().slice(-3000)}`);
      agent.child.kill('SIGKILL');
      process.exitCode = 1;
    }
    progress('stopping the services app and the git server');
    rmSync(stateDir, { recursive: true, force: true });
    await Promise.all([gyre.stop(), git.stop()]);
  }
}

/** Progress on stderr, so stdout stays the JSON result. */
const progress = (line: string) => console.error(`[bench] ${line}`);

progress(`baseline: generating ${CACHE_FILES} files (${CACHE_MB} MB) and timing tar | zstd`);
const raw = baseline();
progress('through Gyre: save, restore and the artifact upload');
const gyre = await throughGyre();
const mbPerSecond = (seconds: number) => round(CACHE_MB / seconds);
console.log(
  JSON.stringify(
    {
      benchmark: `cache of ${CACHE_FILES} files, ${CACHE_MB} MB (half random, half text); artifact of ${ARTIFACT_MB} MB`,
      baselineTarZstd: {
        saveSeconds: round(raw.saveSeconds),
        restoreSeconds: round(raw.restoreSeconds),
        compressedMB: raw.compressedMB,
      },
      gyre: {
        saveCacheSeconds: round(gyre.saveSeconds),
        saveMBps: mbPerSecond(gyre.saveSeconds),
        restoreCacheSeconds: round(gyre.restoreSeconds),
        restoreMBps: mbPerSecond(gyre.restoreSeconds),
        artifactUploadSeconds: round(gyre.artifactSeconds),
        builderRssMB: gyre.builderRssMB,
      },
      speedRatio: {
        save: round(raw.saveSeconds / gyre.saveSeconds),
        restore: round(raw.restoreSeconds / gyre.restoreSeconds),
      },
    },
    null,
    2,
  ),
);
