import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parseEnvFile } from '../../../src/config/index.js';
import { runGyre } from './run-gyre.js';

let dir: string;
let envPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gyre-init-'));
  envPath = join(dir, '.env');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('gyre init', () => {
  it('writes a .env readable only by its owner, which `gyre settings check` accepts', async () => {
    const init = await runGyre('init', '--env', envPath);
    expect(init).toEqual({ code: 0, stdout: expect.stringContaining(`Wrote ${envPath} (mode 600).`), stderr: '' });
    expect(modeOf(envPath)).toBe(0o600);
    expect(await runGyre('settings', 'check', '--env', envPath)).toMatchObject({
      code: 0,
      stdout: `${envPath} is valid for serve.\n`,
    });
  });

  it('refuses to overwrite an existing file without --force, leaving it untouched', async () => {
    writeFileSync(envPath, 'GYRE_HOSTNAME=precious\n');
    const run = await runGyre('init', '--env', envPath);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${envPath} already exists; it holds this installation's secrets. Pass --force to replace it.\n`,
    );
    expect(readFileSync(envPath, 'utf8')).toBe('GYRE_HOSTNAME=precious\n');
  });

  it('replaces the file with --force, with new secrets and mode 600 even if the old file was wider', async () => {
    await runGyre('init', '--env', envPath);
    const before = parseEnvFile(readFileSync(envPath, 'utf8'));
    chmodSync(envPath, 0o644);
    expect((await runGyre('init', '--env', envPath, '--force')).code).toBe(0);
    const after = parseEnvFile(readFileSync(envPath, 'utf8'));
    expect(after['GYRE_JOIN_SECRET']).not.toBe(before['GYRE_JOIN_SECRET']);
    expect(after['GYRE_ENCRYPTION_KEY']).not.toBe(before['GYRE_ENCRYPTION_KEY']);
    expect(modeOf(envPath)).toBe(0o600);
  });

  it('writes --hostname into the file', async () => {
    await runGyre('init', '--env', envPath, '--hostname', 'ci.example.com');
    expect(parseEnvFile(readFileSync(envPath, 'utf8'))['GYRE_HOSTNAME']).toBe('ci.example.com');
  });

  it('refuses a --hostname the settings would reject, before writing anything', async () => {
    const run = await runGyre('init', '--env', envPath, '--hostname', 'https://ci.example.com');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --hostname has 1 problem:\n  - --hostname: must be a host name or IP address, without scheme or port\n    fix: for example --hostname ci.example.com\n',
    );
    expect(existsSync(envPath)).toBe(false);
  });

  it('explains a path it cannot write to instead of reporting an internal error', async () => {
    const run = await runGyre('init', '--env', join(dir, 'missing-dir', '.env'));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: cannot write ${dir}/missing-dir/.env: its directory does not exist. Pass --env with a path in a writable directory.\n`,
    );
  });

  it('prints only parseable JSON with --json', async () => {
    const run = await runGyre('init', '--env', envPath, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ path: envPath });
  });
});
