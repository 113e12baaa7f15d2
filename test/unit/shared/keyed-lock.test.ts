import { describe, expect, it } from '@jest/globals';
import { KeyedLock } from '../../../src/shared/keyed-lock.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs tasks with one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`start ${name}`);
      await tick();
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      lock.run('repo', task('a')),
      lock.run('repo', task('b')),
      lock.run('repo', task('c')),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(lock.activeKeys).toBe(0);
  });

  it('runs tasks with different keys at the same time', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`start ${name}`);
      await tick();
      events.push(`end ${name}`);
    };
    await Promise.all([lock.run('one', task('a')), lock.run('two', task('b'))]);
    expect(events.slice(0, 2)).toEqual(['start a', 'start b']);
  });

  it('lets the next task run after one fails, and passes the failure to its own caller', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('repo', () => Promise.reject(new Error('fetch failed')));
    const next = lock.run('repo', () => Promise.resolve('fetched'));
    await expect(failing).rejects.toThrow('fetch failed');
    await expect(next).resolves.toBe('fetched');
    expect(lock.activeKeys).toBe(0);
  });
});
