import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingsFile } from '../../../../src/builder/runner/test-splitting.js';

// Gyre's `circleci tests` script, run by this machine's /bin/sh and awk as a job's shell runs it.
const SCRIPT = join(import.meta.dirname, '../../../../templates/job/circleci');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gyre-circleci-'));
  const files: Record<string, number> = {
    'test/unit/a.test.js': 600,
    'test/unit/b.test.js': 100,
    'test/unit/c.test.js': 700,
    'test/e2e/d.test.js': 500,
    'test/e2e/e.spec.js': 200,
    'src/x.js': 10,
  };
  for (const [path, size] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), 'x'.repeat(size));
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function circleci(args: string[], input = '', env: Record<string, string> = {}) {
  const run = spawnSync('/bin/sh', [SCRIPT, ...args], {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GYRE_TEST_TIMINGS_FILE: join(dir, 'none.tsv'), ...env },
  });
  return { status: run.status, lines: run.stdout.split('\n').filter((l) => l !== ''), stderr: run.stderr };
}

const ALL_TESTS = ['test/e2e/d.test.js', 'test/unit/a.test.js', 'test/unit/b.test.js', 'test/unit/c.test.js'];

describe('circleci tests glob', () => {
  it('matches ** across folders, * within one, and {a,b} alternatives, sorted and without repeats', () => {
    expect(circleci(['tests', 'glob', 'test/**/*.test.js']).lines).toEqual(ALL_TESTS);
    expect(circleci(['tests', 'glob', '**/*.js']).lines).toHaveLength(6);
    expect(circleci(['tests', 'glob', 'test/{unit,e2e}/*.{test,spec}.js', 'test/unit/a.*']).lines).toEqual([
      'test/e2e/d.test.js',
      'test/e2e/e.spec.js',
      'test/unit/a.test.js',
      'test/unit/b.test.js',
      'test/unit/c.test.js',
    ]);
    expect(circleci(['tests', 'glob', 'nowhere/*.js'])).toMatchObject({ status: 0, lines: [] });
  });
});

describe('circleci tests split', () => {
  const nodes = (args: string[], env: Record<string, string> = {}) =>
    [0, 1, 2].map(
      (index) => circleci(['tests', 'split', ...args, `--index=${index}`, '--total=3'], ALL_TESTS.join(' '), env).lines,
    );

  it('gives every name to exactly one node, by name in sorted runs', () => {
    expect(nodes([])).toEqual([
      ['test/e2e/d.test.js', 'test/unit/a.test.js'],
      ['test/unit/b.test.js'],
      ['test/unit/c.test.js'],
    ]);
  });

  it('takes the node from CIRCLE_NODE_INDEX and CIRCLE_NODE_TOTAL', () => {
    const node = circleci(['tests', 'split'], ALL_TESTS.join('\n'), { CIRCLE_NODE_INDEX: '1', CIRCLE_NODE_TOTAL: '2' });
    expect(node.lines).toEqual(['test/unit/b.test.js', 'test/unit/c.test.js']);
  });

  it('by file size, heaviest first onto the lightest node', () => {
    // 700 → 0, 600 → 1, 500 → 2, 100 → 2 (600 > 500).
    expect(nodes(['--split-by=filesize'])).toEqual([
      ['test/unit/c.test.js'],
      ['test/unit/a.test.js'],
      ['test/e2e/d.test.js', 'test/unit/b.test.js'],
    ]);
  });

  it('by the stored timings, a name without one weighing their average', () => {
    const timings = join(dir, 'timings.tsv');
    writeFileSync(
      timings,
      timingsFile([
        { kind: 'filename', name: 'test/unit/a.test.js', seconds: 10 },
        { kind: 'filename', name: 'test/unit/b.test.js', seconds: 9 },
        { kind: 'filename', name: 'test/e2e/d.test.js', seconds: 2 },
        { kind: 'classname', name: 'test/unit/c.test.js', seconds: 100 },
      ]),
    );
    // c has no file timing: it weighs (10 + 9 + 2) / 3 = 7. 10 → 0, 9 → 1, 7 → 2, 2 → 2.
    expect(nodes(['--split-by', 'timings'], { GYRE_TEST_TIMINGS_FILE: timings })).toEqual([
      ['test/unit/a.test.js'],
      ['test/unit/b.test.js'],
      ['test/unit/c.test.js', 'test/e2e/d.test.js'],
    ]);
    // By class name, only c has a timing: the others weigh it too, and the split is by weight and name.
    expect(
      nodes(['--split-by=timings', '--timings-type=classname'], { GYRE_TEST_TIMINGS_FILE: timings }).flat().sort(),
    ).toEqual(ALL_TESTS);
  });

  it('says so and splits by name when there are no timings', () => {
    const node = circleci(['tests', 'split', '--split-by=timings', '--index=2', '--total=3'], ALL_TESTS.join('\n'));
    expect(node).toMatchObject({ status: 0, lines: ['test/unit/c.test.js'] });
    expect(node.stderr).toMatch(/no test timings stored for this job yet/);
  });

  it.each([
    [['--split-by=size'], '--split-by must be name, filesize or timings, not "size"'],
    [['--index=3', '--total=3'], '--index 3 is not below --total 3'],
    [['--total=x'], '--total must be a whole number of nodes, not "x"'],
    [['--shards=2'], 'unknown option --shards=2 for tests split'],
  ])('refuses %j with exit code 2 and what to fix', (args, message) => {
    const run = circleci(['tests', 'split', ...args], 'a');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('explains itself, and refuses other commands', () => {
    expect(circleci(['--help'])).toMatchObject({ status: 0, lines: expect.arrayContaining(['Usage:']) });
    expect(circleci(['config', 'validate']).stderr).toContain(
      'knows only `circleci tests glob` and `circleci tests split`',
    );
  });
});
