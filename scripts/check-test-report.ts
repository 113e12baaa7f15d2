// Fails loudly when the suite ran less than it holds. Jest's exit code already covers failing
// tests; this covers what it lets pass quietly: a test file that errors before its first test is
// reported with it, and a file that was skipped, ran no test, holds skipped or `todo` tests, or was
// never run at all (renamed so the config no longer matches it) fails the run.
//
// Usage: node scripts/check-test-report.ts PROJECT...   reads test-results/PROJECT.json, which
// `npm run test:PROJECT` writes, and checks it against every file under test/PROJECT.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const TEST_CALL = /^\s*(describe|it|test)(\.each)?\s*[(`]/m;

/** The parts of jest's `--json` report this check reads. */
interface JestReport {
  readonly testResults: readonly {
    readonly name: string;
    readonly testExecError?: unknown;
    readonly failureMessage?: string | null;
    readonly assertionResults: readonly { readonly fullName: string; readonly status: string }[];
  }[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function problemsOf(project: string): string[] {
  const reportPath = join(root, 'test-results', `${project}.json`);
  if (!existsSync(reportPath))
    return [`${relative(root, reportPath)} is missing: run \`npm run test:${project}\` first`];
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as JestReport;
  const problems: string[] = [];
  const ran = new Map(report.testResults.map((result) => [resolve(result.name), result]));
  for (const file of filesUnder(join(root, 'test', project))) {
    const name = relative(root, file);
    const result = ran.get(file);
    if (!result) {
      if (file.endsWith('.test.ts')) problems.push(`${name}: never ran`);
      else if (TEST_CALL.test(readFileSync(file, 'utf8')))
        problems.push(`${name}: holds tests but is not named *.test.ts, so jest never runs it`);
      continue;
    }
    if (result.testExecError || result.failureMessage) {
      if (result.assertionResults.length === 0) problems.push(`${name}: failed before its first test`);
      continue; // a failing test is jest's own report, and its exit code
    }
    const notRun = result.assertionResults.filter((test) => test.status !== 'passed' && test.status !== 'failed');
    if (result.assertionResults.length === 0) problems.push(`${name}: ran no test`);
    for (const test of notRun) problems.push(`${name}: "${test.fullName}" was ${test.status}`);
  }
  return problems;
}

const projects = process.argv.slice(2);
if (projects.length === 0) {
  console.error('usage: node scripts/check-test-report.ts PROJECT... (unit, integration)');
  process.exit(2);
}
const problems = projects.flatMap(problemsOf);
if (problems.length > 0) {
  console.error(`The test run is incomplete (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.error(`test report: every test file of ${projects.join(' and ')} ran every one of its tests`);
