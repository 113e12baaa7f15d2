/**
 * The scheduler bench's simulated builders, in a process of their own so that they do not take
 * the services app's event loop (issue 21). Arguments: the services URL, the join secret, how
 * many builders, and for how many seconds; prints one JSON line: every claim's latency in ms, the
 * number of jobs completed and the time that took (joining not included).
 */
import { SimulatedBuilder } from '../test/support/simulated-builder.js';

const [base, joinSecret, count, seconds] = process.argv.slice(2);
if (base === undefined || joinSecret === undefined || count === undefined || seconds === undefined)
  throw new Error('usage: scheduler-builders <services URL> <join secret> <builders> <seconds>');
const builders = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    SimulatedBuilder.join(base, joinSecret, { name: `bench-${process.pid}-${i}`, slots: 4 }),
  ),
);
const latencies: number[] = [];
let completed = 0;
const started = performance.now();
const end = started + Number(seconds) * 1000;
await Promise.all(
  builders.map(async (builder) => {
    while (performance.now() < end) {
      const t = performance.now();
      const { leases } = await builder.lease(4);
      latencies.push(performance.now() - t);
      for (const lease of leases) {
        await builder.ack(lease);
        await builder.complete(lease, 'success');
        completed++;
      }
    }
  }),
);
console.log(JSON.stringify({ latencies, completed, elapsedMs: performance.now() - started }));
