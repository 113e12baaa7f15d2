/**
 * Install (issue 21): `gyre up --with-builder` from down, with the images present, as a team
 * restarts its single-machine install: the services stack, its PostgreSQL and a local builder,
 * each up and healthy. BENCH_INSTALL_RUNS times (3 by default); prints each and the median.
 * Goal: ≤ 20 s. The first `up` of the run makes the volumes and is not counted.
 * On its own ports (bound to 127.0.0.1), so it runs beside another install.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initInstall, runGyre } from './run-gyre.js';
import { percentile, round } from './stats.js';

const RUNS = Number(process.env['BENCH_INSTALL_RUNS'] ?? 3);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'gyre-install-'));
  try {
    await initInstall(work);
    await runGyre(work, ['up', '--with-builder']);
    const seconds: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await runGyre(work, ['down']);
      const started = performance.now();
      await runGyre(work, ['up', '--with-builder']);
      seconds.push(round((performance.now() - started) / 1000));
    }
    console.log(`\nInstall: gyre up --with-builder from down, images present, ${RUNS} runs\n`);
    console.table([
      {
        runs: seconds.join(', '),
        'median s': percentile(
          [...seconds].sort((a, b) => a - b),
          50,
        ),
      },
    ]);
    console.log('goal: ≤ 20 s');
  } finally {
    await runGyre(work, ['down', '--volumes', '--yes']);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
