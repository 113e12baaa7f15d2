/**
 * An install made by the built `gyre` CLI from a folder of its own (`.env` and `.gyre` live
 * there), as an operator makes one: for the tests that run `gyre up` on this machine's engine.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/shared/package-files.js';
import { freePort } from '../../src/testing/free-port.js';
import { servicesStackObjects } from './services-stack-objects.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CA bundle image builds trust, chosen as scripts/test chooses it. Without it, run on a
 * machine behind a TLS-inspecting proxy, `gyre up` would see other image inputs than the suite's
 * and rebuild the shared gyre/* images without the bundle.
 */
function extraCaCertsFile(): Record<string, string> {
  if (process.env['GYRE_EXTRA_CA_CERTS_FILE']) return {};
  for (const ca of [process.env['NODE_EXTRA_CA_CERTS'], '/etc/ssl/certs/ca-certificates.crt'])
    if (ca && (statSync(ca, { throwIfNoEntry: false })?.size ?? 0) > 0) return { GYRE_EXTRA_CA_CERTS_FILE: ca };
  return {};
}

/** The built CLI in `folder`, as an operator runs it there; stdin is not a terminal. */
export function gyreIn(
  folder: string,
  args: readonly string[],
  timeoutMs = 600_000,
  env: Readonly<Record<string, string>> = {},
): CliRun {
  const result = spawnSync(process.execPath, [join(packageRoot, 'dist/cli.js'), ...args], {
    cwd: folder,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, CI: 'true', ...extraCaCertsFile(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The safety net after a test that failed half-way: takes down what is left, with its data, and the folder. */
export async function removeInstall(folder: string | undefined): Promise<void> {
  if (folder === undefined) return;
  const left = await servicesStackObjects();
  if (left.containers.length + left.volumes.length > 0) gyreIn(folder, ['down', '--volumes', '--yes'], 300_000);
  rmSync(folder, { recursive: true, force: true });
}

/**
 * `gyre init` in `folder` (with `initFlags`, such as `--self-signed-tls`), on ports of its own so that it can run beside other installs; resolves
 * to the HTTP port.
 */
export async function initInstallFolder(folder: string, initFlags: readonly string[] = []): Promise<number> {
  const init = gyreIn(folder, ['init', '--env', '.env', ...initFlags], 60_000);
  if (init.code !== 0) throw new Error(`gyre init failed in ${folder}: ${init.stderr}`);
  const httpPort = await freePort();
  writeFileSync(join(folder, '.env'), `\nGYRE_HTTP_PORT=${httpPort}\nGYRE_ADMIN_PORT=${await freePort()}\n`, {
    flag: 'a',
  });
  return httpPort;
}
