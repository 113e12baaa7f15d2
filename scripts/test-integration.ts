// Runs the integration tests in two lanes at once, as the 40-minute CI budget on two cores needs.
//
// The docker lane holds every file that starts builders, job containers, Compose stacks or other
// Docker engines: those name and label what they make by builder name and job id, and some list or
// remove what carries a label, so two of them at once could see each other's containers. They run
// one at a time, as before. The services lane holds the rest: each file starts only its own
// PostgreSQL, git daemon and in-process services on free ports, which nothing else looks at, so it
// runs beside the docker lane (one file at a time too).
//
// A file's lane follows from what it imports (DOCKER_LANE below), so a new test that starts a
// builder lands in the docker lane without anyone keeping a list.
//
// Usage: node scripts/test-integration.ts   writes test-results/integration.json (both lanes'
// reports merged, as scripts/check-test-report.ts reads it) and each lane's own report.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const testDir = join(root, 'test', 'integration');
const results = join(root, 'test-results');

/** Imports that start builders, job containers, Compose stacks or Docker engines. */
const DOCKER_LANE =
  /from '(?:dockerode|gyre-ci|[./]+\/src\/index\.js|[./]+\/src\/docker\/[^']*|[./]+\/src\/builder\/runner\/[^']*|\.\.\/support\/(?:agent-under-test|netns-engine|runner-jobs|services-stack-objects)\.js)'/;

interface Lane {
  readonly name: 'docker' | 'services';
  readonly files: string[];
}

function lanes(): Lane[] {
  const files = readdirSync(testDir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => join(testDir, name));
  const docker = files.filter((file) => DOCKER_LANE.test(readFileSync(file, 'utf8')));
  return [
    { name: 'docker', files: docker },
    { name: 'services', files: files.filter((file) => !docker.includes(file)) },
  ];
}

/** Runs one lane's files with jest, its output prefixed with the lane's name; resolves to jest's exit code. */
function run(lane: Lane): Promise<number> {
  const args = [
    '--experimental-vm-modules',
    join(root, 'node_modules/jest/bin/jest.js'),
    '--selectProjects',
    'integration',
    '--maxWorkers=1',
    '--json',
    `--outputFile=${join(results, `integration-${lane.name}.json`)}`,
    '--runTestsByPath',
    ...lane.files.map((file) => relative(root, file)),
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${lane.name}] `;
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on('line', (line) => process.stderr.write(prefix + line + '\n'));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

/** Jest's `--json` report: counts (`numFailedTests`, ...), `success` and the files' results. */
type JestReport = Record<string, unknown> & { success: boolean; testResults: unknown[] };

/** One report for both lanes: counts summed, results joined, a success only if both succeeded. */
function merged(reports: JestReport[]): JestReport {
  const sum: JestReport = { ...reports[0]!, success: reports.every((report) => report.success), testResults: [] };
  for (const key of Object.keys(sum).filter((key) => key.startsWith('num')))
    sum[key] = reports.reduce((total, report) => total + Number(report[key] ?? 0), 0);
  sum.testResults = reports.flatMap((report) => report.testResults);
  return sum;
}

function reportOf(lane: Lane): JestReport | undefined {
  const file = join(results, `integration-${lane.name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JestReport) : undefined;
}

mkdirSync(results, { recursive: true });
const plan = lanes();
for (const lane of plan)
  console.error(
    `${lane.name} lane (${lane.files.length} files): ${lane.files.map((f) => relative(testDir, f)).join(' ')}`,
  );
for (const lane of plan) rmSync(join(results, `integration-${lane.name}.json`), { force: true });
const codes = await Promise.all(plan.map(run));
const reports = plan.map(reportOf);
for (const [index, lane] of plan.entries())
  console.error(
    `${lane.name} lane: ${codes[index] === 0 ? 'passed' : `failed (jest exit code ${codes[index]})`}` +
      (reports[index] ? '' : ', and wrote no report'),
  );
if (reports.every((report) => report !== undefined))
  writeFileSync(join(results, 'integration.json'), JSON.stringify(merged(reports)));
else rmSync(join(results, 'integration.json'), { force: true });
process.exit(codes.every((code) => code === 0) && reports.every(Boolean) ? 0 : 1);
