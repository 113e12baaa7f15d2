import { createPrivateKey, X509Certificate } from 'node:crypto';
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

  it('makes a self-signed certificate for the host name with --self-signed-tls, and turns HTTPS on with it', async () => {
    const init = await runGyre('init', '--env', envPath, '--hostname', 'ci.example.com', '--self-signed-tls');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`Wrote a self-signed certificate, ${join(dir, 'tls/cert.pem')}, and its key`);
    const values = parseEnvFile(readFileSync(envPath, 'utf8'));
    expect(values['GYRE_TLS_CERT_FILE']).toBe(join(dir, 'tls/cert.pem'));
    expect(values['GYRE_TLS_KEY_FILE']).toBe(join(dir, 'tls/key.pem'));
    const cert = new X509Certificate(readFileSync(join(dir, 'tls/cert.pem')));
    expect(cert.subjectAltName).toBe('DNS:ci.example.com, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'tls/key.pem'))))).toBe(true);
    // The folder is the owner's; the key in it is readable by the app container's own user.
    expect(modeOf(join(dir, 'tls'))).toBe(0o700);
    expect(modeOf(join(dir, 'tls/key.pem'))).toBe(0o644);
    expect(await runGyre('settings', 'check', '--env', envPath)).toMatchObject({ code: 0 });

    // Again without --force: the .env and the certificate stay as they were.
    const again = await runGyre('init', '--env', envPath, '--self-signed-tls');
    expect(again.code).toBe(2);
    expect(new X509Certificate(readFileSync(join(dir, 'tls/cert.pem'))).fingerprint256).toBe(cert.fingerprint256);
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
