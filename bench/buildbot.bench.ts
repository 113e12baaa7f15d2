/**
 * Buildbot's start latency (issue 21), measured the way job-start.bench measures Gyre's, so the
 * README can set Gyre against Buildbot against raw Docker from one `npm run bench`.
 *
 * What: from a change being sent to the first output of a one-step build, on Debian's buildbot and
 * buildbot-worker 3.7, master and worker on 127.0.0.1 in a fresh temp dir. The step is a
 * ShellCommand `docker run --rm IMAGE date +%s%N`: like Gyre's job it starts a container (warm
 * image, no checkout) and prints the time it ran, so the figure does not depend on how fast logs
 * travel back. Baseline, same run: `docker run --rm IMAGE date +%s%N` from the spawn to the printed
 * time; Buildbot minus the baseline is what Buildbot adds, to set beside Gyre minus the baseline.
 *
 * How a change arrives: through the master's PBChangeSource, sent as `buildbot sendchange` and
 * Buildbot's git post-receive hook send it, which is how a push reaches a Buildbot without a forge.
 * Its HTTP change hook (GitHub's webhook, as Gyre gets a push) would be closer, but it lives in the
 * web server, which needs the buildbot-www plugin that Debian does not package: this master runs
 * with no web UI and no REST API. A force scheduler would skip the change → scheduler path that a
 * push takes. The sender is a small Python script rather than the `buildbot sendchange` CLI, and
 * takes the time once Python and Twisted have loaded, just before it connects: Gyre's clock starts
 * as its webhook is sent, not as the forge's process starts.
 *
 * treeStableTimer=None: the scheduler starts a build on each change at once instead of waiting for
 * the tree to settle, a wait Buildbot would add on purpose. With no REST API, the printed time is
 * read from the master's sqlite database (logs stored uncompressed), which the master writes anyway.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { until } from '../test/support/until.js';
import { printedTime, rawDockerRun } from './docker-run-baseline.js';
import { NO_OP_IMAGE } from './no-op-pipeline.js';
import { percentile, round } from './stats.js';

const RUNS = Number(process.env['BENCH_BUILDBOT_RUNS'] ?? 20);
const IMAGE = NO_OP_IMAGE;
const SECRET = randomBytes(12).toString('hex');
// Debian's interpreter, where the buildbot package lives: PATH may put another python3 first.
const PYTHON = '/usr/bin/python3';

const masterConfig = (port: number) => `from buildbot.plugins import changes, schedulers, steps, util, worker

c = BuildmasterConfig = {}
# Buildbot reports usage to buildbot.net by default; this bench stays on the machine.
c['buildbotNetUsageData'] = None
c['protocols'] = {'pb': {'port': 'tcp:${port}:interface=127.0.0.1'}}
c['workers'] = [worker.Worker('bench', '${SECRET}')]
# Workers and change sources log in on the same PB port, so their user names must differ.
c['change_source'] = [changes.PBChangeSource(user='change', passwd='${SECRET}')]
c['schedulers'] = [schedulers.SingleBranchScheduler(
    name='push', change_filter=util.ChangeFilter(branch='main'), treeStableTimer=None, builderNames=['start'])]
c['builders'] = [util.BuilderConfig(name='start', workernames=['bench'], factory=util.BuildFactory([
    steps.ShellCommand(name='date', command=['docker', 'run', '--rm', '${IMAGE}', 'date', '+%s%N'])]))]
c['logCompressionMethod'] = 'raw'
`;

const SEND_CHANGE = `import sys, time
from buildbot.clients.sendchange import Sender
from twisted.internet import reactor

master, auth, revision = sys.argv[1:]
failed = []

def report(failure):
    failure.printTraceback(file=sys.stderr)
    failed.append(failure)

def send():
    # Python and Twisted have loaded by now: the clock starts as the change goes out.
    sent = time.time_ns()
    d = Sender(master, auth=tuple(auth.split(':', 1))).send(
        'main', revision, 'bench', ['change.txt'], who='bench', vc='git')
    d.addCallbacks(lambda _: print(sent), report)
    d.addBoth(lambda _: reactor.stop())

reactor.callWhenRunning(send)
reactor.run()
sys.exit(1 if failed else 0)
`;

/** Runs a command to its end, with its output in the error when it fails. */
function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

/** `buildbot start` or `buildbot-worker start`, which only say "see twistd.log" when they fail. */
function start(command: 'buildbot' | 'buildbot-worker', dir: string): void {
  try {
    run(command, ['start', dir]);
  } catch (error) {
    const log = readFileSync(join(dir, 'twistd.log'), 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`${command} did not start; the end of its twistd.log:\n${log}`, { cause: error });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Buildbot {
  readonly dir: string;
  readonly master: string;
  readonly db: DatabaseSync;
}

/** The build that `revision`'s change started, once it has finished: its stdout, or a throw if it failed. */
function finishedBuildOutput(db: DatabaseSync, revision: string): string | undefined {
  const build = db
    .prepare(
      `SELECT b.id, b.results FROM changes c
       JOIN buildset_sourcestamps bs ON bs.sourcestampid = c.sourcestampid
       JOIN buildrequests br ON br.buildsetid = bs.buildsetid
       JOIN builds b ON b.buildrequestid = br.id
       WHERE c.revision = ? AND b.complete_at IS NOT NULL`,
    )
    .get(revision) as { id: number; results: number } | undefined;
  if (!build) return undefined;
  const chunks = db
    .prepare(
      `SELECT lc.content FROM steps s JOIN logs l ON l.stepid = s.id JOIN logchunks lc ON lc.logid = l.id
       WHERE s.buildid = ? AND s.name = 'date' AND l.slug = 'stdio' ORDER BY lc.first_line`,
    )
    .all(build.id) as { content: Uint8Array }[];
  // Buildbot stores a shell step's lines behind a stream letter: o stdout, e stderr, h its own.
  const lines = chunks.flatMap(({ content }) => Buffer.from(content).toString('utf8').split('\n'));
  if (build.results !== 0) throw new Error(`build for ${revision} ended ${build.results}:\n${lines.join('\n')}`);
  return lines
    .filter((line) => line.startsWith('o'))
    .map((line) => line.slice(1))
    .join('\n');
}

async function changeToFirstOutput(buildbot: Buildbot, revision: string): Promise<number> {
  const sent = printedTime(
    run(PYTHON, [join(buildbot.dir, 'send_change.py'), buildbot.master, `change:${SECRET}`, revision]),
  );
  const output = await until(`the build for ${revision}`, () => finishedBuildOutput(buildbot.db, revision), {
    timeoutMs: 120_000,
    intervalMs: 50,
  });
  return printedTime(output) - sent;
}

async function main(): Promise<void> {
  // The worker runs as this user with this environment, so its `docker run` reaches what ours does.
  run('docker', ['version', '--format', '{{.Server.Version}}']);
  const dir = mkdtempSync(join(tmpdir(), 'gyre-bench-buildbot-'));
  const masterDir = join(dir, 'master');
  const workerDir = join(dir, 'worker');
  let db: DatabaseSync | undefined;
  try {
    const port = await freePort();
    run('buildbot', ['create-master', '--quiet', masterDir]);
    writeFileSync(join(masterDir, 'master.cfg'), masterConfig(port));
    writeFileSync(join(dir, 'send_change.py'), SEND_CHANGE);
    start('buildbot', masterDir);
    run('buildbot-worker', ['create-worker', '--quiet', workerDir, `127.0.0.1:${port}`, 'bench', SECRET]);
    start('buildbot-worker', workerDir);
    db = new DatabaseSync(join(masterDir, 'state.sqlite'), { readOnly: true, timeout: 5_000 });
    const buildbot = { dir, master: `127.0.0.1:${port}`, db };

    // The first build waits for the worker to attach and pays for the first imports: not timed.
    await changeToFirstOutput(buildbot, 'warm-up');
    const buildbotLatency: number[] = [];
    const raw: number[] = [];
    // Alternated, so that the engine slowing or speeding up over the run weighs on both alike.
    for (let i = 0; i < RUNS; i++) {
      buildbotLatency.push(await changeToFirstOutput(buildbot, `run-${i}`));
      raw.push(await rawDockerRun());
    }

    const at = (sample: number[], p: number) =>
      percentile(
        [...sample].sort((a, b) => a - b),
        p,
      );
    console.log(`\nBuildbot start: change sent → first output of a one-step build, ${RUNS} runs each\n`);
    console.table([
      {
        run: 'buildbot 3.7 (PBChangeSource, 1 worker, warm image)',
        'p50 ms': round(at(buildbotLatency, 50)),
        'p95 ms': round(at(buildbotLatency, 95)),
      },
      { run: `baseline: docker run --rm ${IMAGE} date`, 'p50 ms': round(at(raw, 50)), 'p95 ms': round(at(raw, 95)) },
    ]);
    console.log(`buildbot over raw docker run at p50: ${round(at(buildbotLatency, 50) - at(raw, 50))} ms`);
    console.log(`Gyre's figure for the same run (push webhook → first output) is printed by job-start.bench.`);
  } finally {
    db?.close();
    // Either may never have started; stopping what is not running only fails, and must not hide the real error.
    for (const [command, target] of [
      ['buildbot-worker', workerDir],
      ['buildbot', masterDir],
    ] as const) {
      try {
        run(command, ['stop', target]);
      } catch {
        // Not running.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
