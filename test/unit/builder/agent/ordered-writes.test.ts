import { describe, expect, it } from '@jest/globals';
import { OrderedWrites } from '../../../../src/builder/agent/ordered-writes.js';
import { StaleLeaseError } from '../../../../src/builder/agent/protocol-client.js';
import { UnavailableError } from '../../../../src/shared/errors.js';

describe('OrderedWrites', () => {
  it('keeps a write that got no answer at the head and retries it before the ones behind it', async () => {
    const sent: string[] = [];
    let outage = 2;
    const writes = new OrderedWrites({ maxBackoffMs: 1 }, () => undefined);
    writes.push(() => {
      if (outage-- > 0) return Promise.reject(new UnavailableError('services box down'));
      sent.push('first');
      return Promise.resolve();
    });
    writes.push(() => record(sent, 'second'));
    await writes.settled();
    expect(sent).toEqual(['first', 'second']);
    expect(writes.pending).toBe(0);
  });

  it('stops at the first final refusal, reports it once and drops what is queued', async () => {
    const failures: Error[] = [];
    const sent: string[] = [];
    const writes = new OrderedWrites({ maxBackoffMs: 1 }, (error) => failures.push(error));
    writes.push(() => Promise.reject(new StaleLeaseError('409')));
    writes.push(() => record(sent, 'never'));
    await expect(writes.settled()).rejects.toBeInstanceOf(StaleLeaseError);
    writes.push(() => record(sent, 'after'));
    expect(sent).toEqual([]);
    expect(failures).toHaveLength(1);
  });
});

function record(sent: string[], what: string): Promise<void> {
  sent.push(what);
  return Promise.resolve();
}
