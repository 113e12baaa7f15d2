/**
 * The start-latency benches' common yardstick: `docker run --rm NO_OP_IMAGE date +%s%N`, timed from
 * the spawn to the time the container printed. Each CI's figure is read the same way (the time its
 * step printed, minus when the change was sent), so one parser serves both, and the CI minus this
 * baseline is what the CI itself adds to starting a container.
 */
import { spawn } from 'node:child_process';
import { NO_OP_IMAGE } from './no-op-pipeline.js';

/** The first line of the step's output that is a `date +%s%N`, in epoch milliseconds. */
export function printedTime(log: string): number {
  const found = /^(\d{19})$/m.exec(log);
  if (!found) throw new Error(`no epoch nanoseconds in the job's log:\n${log}`);
  return Number(BigInt(found[1]!) / 1000n) / 1000;
}

/** One `docker run --rm NO_OP_IMAGE date +%s%N`: milliseconds from the spawn to the printed time. */
export function rawDockerRun(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = Date.now();
    let out = '';
    const child = spawn('docker', ['run', '--rm', NO_OP_IMAGE, 'date', '+%s%N'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(printedTime(out) - sent) : reject(new Error(`exit ${code}`))));
  });
}
