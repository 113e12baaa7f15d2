import { describe, expect, it } from '@jest/globals';
import { BackgroundCleanup } from '../../../../src/builder/runner/background-cleanup.js';

/** A removal the test ends by hand. */
function removal(): { run: () => Promise<void>; end: (error?: Error) => void; started: () => boolean } {
  let started = false;
  let settle: ((error?: Error) => void) | undefined;
  return {
    run: () =>
      new Promise<void>((resolve, reject) => {
        started = true;
        settle = (error) => (error ? reject(error) : resolve());
      }),
    end: (error) => settle!(error),
    started: () => started,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BackgroundCleanup', () => {
  it('runs up to its limit at once, and makes the next job wait for room', async () => {
    const cleanup = new BackgroundCleanup(2, () => undefined);
    const [a, b, c] = [removal(), removal(), removal()];
    await cleanup.add(1, a.run);
    await cleanup.add(2, b.run);
    let thirdAdded = false;
    const third = cleanup.add(3, c.run).then(() => (thirdAdded = true));
    await tick();
    expect([a.started(), b.started(), c.started(), thirdAdded]).toEqual([true, true, false, false]);
    a.end();
    await third;
    expect(c.started()).toBe(true);
    expect(cleanup.size).toBe(2);
    b.end();
    c.end();
    await cleanup.idle();
    expect(cleanup.size).toBe(0);
  });

  it('reports a failed removal with its job, and frees its room', async () => {
    const failures: [number, unknown][] = [];
    const cleanup = new BackgroundCleanup(1, (jobId, error) => failures.push([jobId, error]));
    const failing = removal();
    await cleanup.add(7, failing.run);
    failing.end(new Error('engine busy'));
    await cleanup.idle();
    expect(failures).toEqual([[7, new Error('engine busy')]]);
    const next = removal();
    await cleanup.add(8, next.run);
    expect(next.started()).toBe(true);
    next.end();
    await cleanup.idle();
  });

  it('reports a removal that throws at once like one that rejects', async () => {
    const failures: [number, unknown][] = [];
    const cleanup = new BackgroundCleanup(1, (jobId, error) => failures.push([jobId, error]));
    await cleanup.add(9, () => {
      throw new Error('no engine');
    });
    await cleanup.idle();
    expect(failures).toEqual([[9, new Error('no engine')]]);
  });

  it('idle waits for removals that start while it waits', async () => {
    const cleanup = new BackgroundCleanup(2, () => undefined);
    const [a, b] = [removal(), removal()];
    await cleanup.add(1, a.run);
    let idle = false;
    const waiting = cleanup.idle().then(() => (idle = true));
    await cleanup.add(2, b.run);
    a.end();
    await tick();
    expect(idle).toBe(false);
    b.end();
    await waiting;
    expect(idle).toBe(true);
  });

  it('refuses a limit below one', () => {
    expect(() => new BackgroundCleanup(0, () => undefined)).toThrow('limit must be a positive integer, not 0');
  });
});
