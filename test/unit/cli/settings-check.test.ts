import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { renderSettingsTable, settingNames } from '../../../src/config/index.js';
import { runGyre } from './run-gyre.js';

const FIXTURES = new URL('../../fixtures/env/', import.meta.url).pathname;
const fixture = (name: string) => `${FIXTURES}${name}`;

describe('gyre settings check', () => {
  it('says a valid file is valid for the purpose asked', async () => {
    expect(await runGyre('settings', 'check', '--env', fixture('good-agent.env'), '--for', 'agent')).toEqual({
      code: 0,
      stdout: `${fixture('good-agent.env')} is valid for agent.\n`,
      stderr: '',
    });
  });

  it('exits 2 and prints every problem, each with its fix', async () => {
    const run = await runGyre('settings', 'check', '--env', fixture('bad-five-problems.env'));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        `error: ${fixture('bad-five-problems.env')} has 5 problems:`,
        '  - GYRE_HOSTNAME: must be a host name or IP address, without scheme or port',
        '    fix: for example GYRE_HOSTNAME=ci.example.com',
        '  - GYRE_HTTP_PORT: must be a port number (1-65535)',
        '    fix: for example GYRE_HTTP_PORT=8080',
        '  - GYRE_SLOT_MEMORY: "4" is 4 bytes, below the 6M that Docker allows a container; add a unit such as 4G or 512M',
        '    fix: for example GYRE_SLOT_MEMORY=8G',
        '  - GYRE_DRAIN_TIMEOUT: "30" is not a duration; use a number with a unit such as 30m, 90s or 1h',
        '    fix: for example GYRE_DRAIN_TIMEOUT=1h',
        '  - GYRE_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace',
        '    fix: for example GYRE_LOG_LEVEL=debug',
        '',
      ].join('\n'),
    );
  });

  it('prints problems and warnings as one parseable JSON document with --json, and still exits 2', async () => {
    const run = await runGyre('settings', 'check', '--env', fixture('bad-missing-secrets.env'), '--json');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      valid: boolean;
      problems: { input: string; message: string; hint: string }[];
      warnings: string[];
    };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => p.input)).toEqual([
      'GYRE_JOIN_SECRET',
      'GYRE_ADMIN_PASSWORD',
      'GYRE_ENCRYPTION_KEY',
      'GYRE_SESSION_SECRET',
      'GYRE_DB_PASSWORD',
    ]);
    expect(report.problems.every((p) => p.hint.length > 0)).toBe(true);
  });

  it('reports a valid file as valid in JSON', async () => {
    const run = await runGyre('settings', 'check', '--env', fixture('good-serve.env'), '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ valid: true, problems: [], warnings: [] });
  });

  it('prints warnings on stderr and still passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gyre-check-'));
    writeFileSync(join(dir, '.env'), 'GYRE_LOGLEVEL=debug\n');
    const run = await runGyre('settings', 'check', '--env', join(dir, '.env'), '--for', 'generate');
    rmSync(dir, { recursive: true, force: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: GYRE_LOGLEVEL is not a Gyre setting and is ignored; did you mean GYRE_LOG_LEVEL?\n',
    );
  });

  it('checks for serve by default, so a builder file fails with what the services box needs', async () => {
    const run = await runGyre('settings', 'check', '--env', fixture('good-agent.env'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('GYRE_ADMIN_PASSWORD: is required by the services box but is not set');
  });

  it('refuses an unknown purpose and lists the accepted ones', async () => {
    const run = await runGyre('settings', 'check', '--env', fixture('good-serve.env'), '--for', 'builder');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --for has 1 problem:\n  - --for: "builder" is not a purpose\n    fix: use one of serve, agent, generate\n',
    );
  });

  it('says when the --env file does not exist and how to create one', async () => {
    const run = await runGyre('settings', 'check', '--env', '/nonexistent/gyre.env');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --env has 1 problem:\n  - /nonexistent/gyre.env: does not exist\n    fix: create it with `gyre init`, or pass the path of an existing .env file\n',
    );
  });

  it('says when the --env path cannot be read instead of reporting an internal error', async () => {
    const run = await runGyre('settings', 'check', '--env', FIXTURES);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: --env has 1 problem:\n  - ${FIXTURES.replace(/\/$/, '')}: cannot be read: it is a directory\n    fix: pass the path of a readable .env file\n`,
    );
  });
});

describe('gyre settings', () => {
  it('prints the README settings table with --markdown', async () => {
    expect(await runGyre('settings', '--markdown')).toEqual({
      code: 0,
      stdout: `${renderSettingsTable()}\n`,
      stderr: '',
    });
  });

  it('lists every setting as JSON with --json', async () => {
    const run = await runGyre('settings', '--json');
    expect((JSON.parse(run.stdout) as { name: string }[]).map((row) => row.name)).toEqual(settingNames);
  });
});
