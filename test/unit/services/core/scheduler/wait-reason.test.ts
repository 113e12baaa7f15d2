import { describe, expect, it } from '@jest/globals';
import { describeWait, type SlotShape } from '../../../../../src/services/core/scheduler/wait-reason.js';

const GiB = 1024 ** 3;
const builder = (overrides: Partial<SlotShape> = {}): SlotShape => ({
  state: 'active',
  slots: 2,
  slotsUsed: 0,
  slotCpus: 2,
  slotMemoryBytes: 4 * GiB,
  ...overrides,
});
const large = { cpus: 4, memoryBytes: 8 * GiB };

describe('describeWait', () => {
  it('says a job is too large for every builder, naming both sizes', () => {
    expect(describeWait(large, [builder(), builder({ slotMemoryBytes: 2 * GiB })])).toBe(
      'needs 4 CPU / 8 GiB; largest builder slot is 2 CPU / 4 GiB',
    );
  });

  it('says when no builder is connected', () => {
    expect(describeWait(large, [builder({ state: 'lost' }), builder({ state: 'revoked' })])).toBe(
      'no builder is connected; join one with `gyre builder join`',
    );
  });

  it('counts a slot without a CPU limit as fitting any CPU need', () => {
    expect(describeWait(large, [builder({ slotCpus: 0, slotMemoryBytes: 8 * GiB, slotsUsed: 2 })])).toBe(
      'waiting for a free slot: 2 of 2 slots that fit it are busy',
    );
  });

  it('says when only draining builders fit', () => {
    expect(
      describeWait({ cpus: 2, memoryBytes: GiB }, [
        builder({ state: 'draining' }),
        builder({ slotMemoryBytes: GiB / 2 }),
      ]),
    ).toBe('every builder that fits this job is draining; add a builder or cancel the drain');
  });
});
