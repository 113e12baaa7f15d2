import type { BuilderResponse as FleetBuilder } from '../../../src/api/responses.js';
import { GyreClient } from '../../../src/client/gyre-client.js';

/** A builder as `/api/v1/builders` lists it, with plausible values for what a test does not set. */
export function fleetBuilder(values: Partial<FleetBuilder> & Pick<FleetBuilder, 'name'>): FleetBuilder {
  return {
    id: 1,
    host: 'builder-host',
    state: 'active',
    slots: 2,
    slotCpus: 2,
    slotMemoryBytes: 4 * 1024 ** 3,
    dockerInBuilds: 'off',
    cpus: 4,
    memoryBytes: 8 * 1024 ** 3,
    version: '0.1.0',
    dockerVersion: '27.3.1',
    runningJobs: 0,
    room: {
      cpus: 4,
      memoryBytes: 8 * 1024 ** 3,
      usedCpus: 0,
      usedMemoryBytes: 0,
      freeCpus: 4,
      freeMemoryBytes: 8 * 1024 ** 3,
    },
    drainDeadline: null,
    registeredAt: '2025-01-01T00:00:00.000Z',
    lastSeenAt: '2025-01-01T00:00:00.000Z',
    ...values,
  };
}

/**
 * The services API without HTTP: each call to `builders()` answers the next fleet in `fleets`
 * (the last one repeats), as the fleet would look on successive polls; `builderNamed` reads it, so
 * unknown names fail as they do against the server. Drains and revokes are recorded, in
 * order with the polls, in `calls`.
 */
export class FakeGyreApi extends GyreClient {
  readonly calls: string[] = [];
  private polls = 0;

  constructor(private readonly fleets: readonly (readonly FleetBuilder[])[]) {
    super('http://gyre.test:8080', 'test-token');
    if (fleets.length === 0) throw new Error('FakeGyreApi needs at least one fleet');
  }

  override builders(): Promise<FleetBuilder[]> {
    this.calls.push('builders');
    const fleet = this.fleets[Math.min(this.polls, this.fleets.length - 1)]!;
    this.polls += 1;
    return Promise.resolve([...fleet]);
  }

  override drainBuilder(id: number, deadlineSeconds: number): Promise<FleetBuilder> {
    this.calls.push(`drain ${id} ${deadlineSeconds}`);
    return Promise.resolve({ ...this.current(id), state: 'draining' });
  }

  override revokeBuilder(id: number): Promise<FleetBuilder & { requeued: number }> {
    this.calls.push(`revoke ${id}`);
    return Promise.resolve({ ...this.current(id), state: 'revoked', requeued: 0 });
  }

  private current(id: number): FleetBuilder {
    const fleet = this.fleets[Math.min(Math.max(this.polls - 1, 0), this.fleets.length - 1)]!;
    const builder = fleet.find((b) => b.id === id);
    if (!builder) throw new Error(`FakeGyreApi: no builder with id ${id}`);
    return builder;
  }
}
