import { describe, expect, it } from '@jest/globals';
import { backoffMs, retryWhileUnavailable } from '../../../../src/builder/agent/retry.js';
import { MAX_RETRY_BACKOFF_MS } from '../../../../src/protocol/index.js';
import { GyreError, UnavailableError } from '../../../../src/shared/errors.js';

describe('retryWhileUnavailable', () => {
  it('doubles the backoff up to the protocol cap of 10 s', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs(n))).toEqual([250, 500, 1000, 2000]);
    expect(backoffMs(6)).toBe(MAX_RETRY_BACKOFF_MS);
    expect(backoffMs(1000)).toBe(MAX_RETRY_BACKOFF_MS);
  });

  it('retries only while the services box does not answer', async () => {
    let calls = 0;
    const waits: number[] = [];
    const value = await retryWhileUnavailable(
      () => (++calls < 3 ? Promise.reject(new UnavailableError('down')) : Promise.resolve('ok')),
      { maxBackoffMs: 1, onRetry: (_error, wait) => waits.push(wait) },
    );
    expect(value).toBe('ok');
    expect(waits).toEqual([1, 1]);
  });

  it('gives up at once on any other error', async () => {
    let calls = 0;
    const refused = retryWhileUnavailable(() => {
      calls++;
      return Promise.reject(new GyreError('400'));
    });
    await expect(refused).rejects.toThrow('400');
    expect(calls).toBe(1);
  });

  it('stops retrying once its signal is aborted, with the last "no answer"', async () => {
    const controller = new AbortController();
    const pending = retryWhileUnavailable(() => Promise.reject(new UnavailableError('down')), {
      signal: controller.signal,
    });
    controller.abort(new Error('draining'));
    await expect(pending).rejects.toThrow(new UnavailableError('down'));
  });

  it('stops a wait in progress when its signal is aborted', async () => {
    const controller = new AbortController();
    const pending = retryWhileUnavailable(() => Promise.reject(new UnavailableError('down')), {
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('draining')),
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
