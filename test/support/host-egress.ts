/**
 * The jobs' egress policy on this host, written as `gyre agent` writes it when it starts. Runner
 * tests run jobs without an agent, so their job networks would be judged by whatever policy the
 * last agent on this host wrote: a runner test whose checkout clones from this host writes its own.
 */
import { pino } from 'pino';
import { applyEgressPolicy } from '../../src/builder/agent/egress-policy.js';
import type { EgressEntry } from '../../src/config/index.js';
import type { JobBackend } from '../../src/docker/index.js';

/** Enforces the policy, with `allow` opened to jobs; no services box (a loopback address is never refused). */
export function enforceEgress(backend: JobBackend, allow: readonly EgressEntry[]): Promise<void> {
  return applyEgressPolicy(
    backend,
    {
      builderName: `egress-test-${process.pid}`,
      helperImage: 'gyre/app:0.1.0',
      servicesUrl: 'http://127.0.0.1',
      egress: { enforce: true, allow },
    },
    pino({ level: 'silent' }),
  );
}
