import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/shared/package-files.js';
import { freePort } from '../src/testing/free-port.js';

/** The CLI the benches run: BENCH_GYRE_CLI points at another build's `dist/cli.js` (say, an earlier commit's) to measure it. */
export const GYRE_CLI = process.env['BENCH_GYRE_CLI'] ?? join(packageRoot, 'dist/cli.js');

/**
 * Runs the CLI in `work` (so `.env` and `.gyre` are that folder's), without blocking this process
 * (a bench may serve requests meanwhile); its errors go to this process's stderr.
 */
export function runGyre(work: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GYRE_CLI, ...args], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 20 * 60_000,
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`gyre ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/**
 * `gyre init` in `work`, on free ports bound to 127.0.0.1, so the bench runs beside another
 * install; the builder trusts GYRE_EXTRA_CA_CERTS_FILE when this process has it. Its HTTP port.
 */
export async function initInstall(work: string): Promise<number> {
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  await runGyre(work, ['init']);
  const ca = process.env['GYRE_EXTRA_CA_CERTS_FILE'];
  appendFileSync(
    join(work, '.env'),
    `GYRE_BIND_ADDRESS=127.0.0.1\nGYRE_HTTP_PORT=${httpPort}\nGYRE_ADMIN_PORT=${adminPort}\n${ca ? `GYRE_EXTRA_CA_CERTS_FILE=${ca}\n` : ''}`,
  );
  return httpPort;
}
