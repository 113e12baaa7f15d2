import { describe, expect, it } from '@jest/globals';
import { JobResourcePool } from '../../../../src/builder/runner/resource-pool.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';
import { until } from '../../../support/until.js';

// GIVEN the pool on an in-memory engine that has the helper image: which networks, volumes and
// holders it makes, hands out and removes.
const HELPER = 'gyre/app:test';
const BUILDER_LABELS = { [LABELS.managed]: 'true', [LABELS.builder]: 'pool-builder' };

function engine(): FakeJobBackend {
  const backend = new FakeJobBackend();
  backend.images.add(HELPER);
  return backend;
}

const poolOn = (backend: FakeJobBackend, size = 2, failures: unknown[] = []) =>
  new JobResourcePool(backend, 'pool-builder', HELPER, size, (error: unknown) => failures.push(error));

const counts = (backend: FakeJobBackend) => [backend.networks.size, backend.volumes.size, backend.containers.size];

/** A pool of two on a new engine, once both are ready. */
async function filledPool() {
  const backend = engine();
  const pool = poolOn(backend);
  pool.fill();
  await until('the pool to fill', () => pool.readyCount === 2);
  return { backend, pool };
}

describe('JobResourcePool', () => {
  it("fills to its size with a network and a volume of one name and an idle holder on the network, all the builder's and no job's", async () => {
    const { backend } = await filledPool();
    expect([...backend.networks.keys()].sort()).toEqual([...backend.volumes.keys()].sort());
    expect(counts(backend)).toEqual([2, 2, 2]);
    for (const network of backend.networks.values()) {
      expect(network.name).toMatch(/^gyre-pool-[0-9a-f]{12}$/);
      expect(network.labels).toEqual(BUILDER_LABELS);
    }
    expect(backend.started.map((spec) => spec.network?.name).sort()).toEqual([...backend.networks.keys()].sort());
    expect(backend.started[0]).toMatchObject({
      image: HELPER,
      entrypoint: ['sleep', 'infinity'],
      user: 'nobody',
      labels: BUILDER_LABELS,
      readOnlyRoot: true,
    });
    expect(backend.started[0]!.mayGainPrivileges).toBeUndefined();
  });

  it('hands out each one once, oldest first, and makes more only when told to fill', async () => {
    const { backend, pool } = await filledPool();
    const [first, second] = [...backend.networks.keys()];
    const taken = [pool.take(), pool.take()];
    expect(taken.map((t) => t?.name)).toEqual([first, second]);
    expect(taken.map((t) => t?.holder)).toEqual(backend.startedIds);
    expect(pool.take()).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.readyCount).toBe(0);
    pool.fill();
    await until('the pool to fill again', () => pool.readyCount === 2);
    // Taken ones are their jobs' to remove: the pool holds two more.
    expect(counts(backend)).toEqual([4, 4, 4]);
  });

  it('reports one it could not make, leaves nothing of it, and tries again at the next fill', async () => {
    const backend = engine();
    const failures: unknown[] = [];
    const pool = poolOn(backend, 2, failures);
    backend.failures.set('createNetwork', new Error('no address pool left'));
    pool.fill();
    await until('the failure to be reported', () => failures.length === 1);
    expect(failures).toEqual([new Error('no address pool left')]);
    expect([...counts(backend), pool.readyCount]).toEqual([0, 0, 0, 0]);
    backend.failures.delete('createNetwork');
    pool.fill();
    await until('the pool to fill', () => pool.readyCount === 2);
    expect(failures).toHaveLength(1);
  });

  it('removes the network and the volume of a holder that did not start', async () => {
    const backend = new FakeJobBackend();
    const failures: unknown[] = [];
    const pool = poolOn(backend, 1, failures);
    pool.fill();
    await until('the failure to be reported', () => failures.length === 1);
    expect(String(failures[0])).toContain(`No such image: ${HELPER}`);
    expect([...counts(backend), pool.readyCount]).toEqual([0, 0, 0, 0]);
  });

  it('on close, removes what was not taken, stops making more, and leaves taken ones to their jobs', async () => {
    const { backend, pool } = await filledPool();
    const taken = pool.take()!;
    await pool.close();
    expect([...backend.networks.keys()]).toEqual([taken.name]);
    expect([...backend.volumes.keys()]).toEqual([taken.name]);
    expect([...backend.containers.keys()]).toEqual([taken.holder]);
    pool.fill();
    await new Promise((resolve) => setImmediate(resolve));
    expect(counts(backend)).toEqual([1, 1, 1]);
  });

  it('on close while making one, removes that one too once it is made', async () => {
    const backend = engine();
    const pool = poolOn(backend, 2);
    pool.fill();
    await pool.close();
    expect(counts(backend)).toEqual([0, 0, 0]);
    expect(pool.readyCount).toBe(0);
  });

  it("gives back its newest ready one's network for a job's, and says when it had none", async () => {
    const { backend, pool } = await filledPool();
    const [oldest, newest] = [...backend.networks.keys()];
    expect(await pool.giveBack()).toBe(true);
    expect([...backend.networks.keys()]).toEqual([oldest]);
    expect(backend.volumes.has(newest!)).toBe(false);
    expect(await pool.giveBack()).toBe(true);
    expect(await pool.giveBack()).toBe(false);
  });

  it('tells a running holder from a stopped one, and on renew replaces every ready one', async () => {
    const { backend, pool } = await filledPool();
    const before = [...backend.containers.keys()];
    const [first] = before;
    await backend.removeContainer(first!);
    const taken = pool.take()!;
    expect(await pool.holds(taken)).toBe(false);
    expect(await pool.holds(pool.take()!)).toBe(true);
    pool.fill();
    await until('the pool to fill again', () => pool.readyCount === 2);
    const stale = [...backend.containers.keys()].filter((id) => !before.includes(id));
    pool.renew();
    expect(pool.readyCount).toBe(0);
    await until('the pool to make new ones', () => pool.readyCount === 2);
    const renewed = [pool.take()!.holder, pool.take()!.holder];
    expect(renewed.filter((id) => stale.includes(id) || before.includes(id))).toEqual([]);
    expect(stale.every((id) => !backend.containers.has(id))).toBe(true);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => poolOn(engine(), 0)).toThrow('size must be a positive integer, not 0');
  });
});
