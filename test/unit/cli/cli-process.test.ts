import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/**
 * The built `gyre` binary, run as a user runs it: real exit codes from src/cli.ts, real file
 * modes. It is compiled into a temporary package so that a stale or shared dist/ cannot mislead.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(REPO, 'test/fixtures/env');
let pkg: string;

function gyre(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(pkg, 'dist/cli.js'), ...args], { encoding: 'utf8', cwd: pkg });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  pkg = mkdtempSync(join(tmpdir(), 'gyre-cli-'));
  copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
  const tsc = spawnSync(
    process.execPath,
    [
      join(REPO, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(REPO, 'tsconfig.build.json'),
      '--outDir',
      join(pkg, 'dist'),
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`the CLI does not compile:\n${tsc.stdout}${tsc.stderr}`);
}, 120_000);

// Removes the node_modules symlink, never what it points to.
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

describe('the gyre binary', () => {
  it('writes a mode-600 .env with `gyre init` and refuses to overwrite it without --force (exit 2)', () => {
    const env = join(pkg, 'first.env');
    expect(gyre('init', '--env', env).code).toBe(0);
    expect(statSync(env).mode & 0o777).toBe(0o600);
    const again = gyre('init', '--env', env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(gyre('init', '--env', env, '--force').code).toBe(0);
  });

  it('accepts what `gyre init` wrote', () => {
    const env = join(pkg, 'checked.env');
    gyre('init', '--env', env);
    expect(gyre('settings', 'check', '--env', env)).toEqual({
      code: 0,
      stdout: `${env} is valid for serve.\n`,
      stderr: '',
    });
  });

  it('refuses `gyre down` in a folder that brought no stack up (exit 2), before it touches Docker', () => {
    const empty = mkdtempSync(join(tmpdir(), 'gyre-down-'));
    const run = gyre('down', '--dir', join(empty, '.gyre'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no services stack was brought up from ${join(empty, '.gyre')}`);
    expect(run.stderr).toContain('run `gyre down` in the folder where you ran `gyre up`');
    rmSync(empty, { recursive: true, force: true });
  });

  it('exits 2 from `gyre settings check` and prints every problem of a bad file', () => {
    const run = gyre('settings', 'check', '--env', join(FIXTURES, 'bad-five-problems.env'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has 5 problems:/);
    expect(run.stderr.match(/^ {2}- GYRE_[A-Z_]+: /gm)).toHaveLength(5);
  });

  it('prints parseable JSON with `gyre settings check --json`', () => {
    const run = gyre('settings', 'check', '--env', join(FIXTURES, 'bad-weak-secrets.env'), '--json');
    expect(run.code).toBe(2);
    expect((JSON.parse(run.stdout) as { problems: unknown[] }).problems).toHaveLength(5);
  });
});
