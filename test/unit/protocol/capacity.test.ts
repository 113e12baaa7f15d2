import { describe, expect, it } from '@jest/globals';
import { computeCapacity } from '../../../src/protocol/capacity.js';
import { InvalidInputError } from '../../../src/shared/errors.js';

const GiB = 1024 ** 3;
const defaults = { slotCpus: 2, slotMemoryBytes: 4 * GiB };

describe('computeCapacity', () => {
  it.each([
    { cpus: 8, memGiB: 16, slots: 3 },
    { cpus: 16, memGiB: 64, slots: 7 },
    { cpus: 64, memGiB: 36, slots: 8 },
    // The source docs' "6 CPUs / 10 GB" host: CPUs allow 2, memory only 1 (see README design notes).
    { cpus: 6, memGiB: 10, slots: 1 },
  ])('gives $slots slots on a host with $cpus CPUs and $memGiB GiB', ({ cpus, memGiB, slots }) => {
    expect(computeCapacity({ cpus, memoryBytes: memGiB * GiB }, defaults)).toEqual({
      ...defaults,
      slots,
      explicit: false,
    });
  });

  it('lets an explicit slot count win over the computed one', () => {
    expect(computeCapacity({ cpus: 2, memoryBytes: 2 * GiB }, { ...defaults, slots: 1, slotCpus: 0 })).toEqual({
      slots: 1,
      slotCpus: 0,
      slotMemoryBytes: 4 * GiB,
      explicit: true,
    });
  });

  it('bounds slots by memory alone when slots have no CPU limit', () => {
    expect(computeCapacity({ cpus: 2, memoryBytes: 24 * GiB }, { slotCpus: 0, slotMemoryBytes: 4 * GiB }).slots).toBe(
      5,
    );
  });

  it('explains why a host is too small for one slot and how to run anyway', () => {
    const small = () => computeCapacity({ cpus: 2, memoryBytes: 24 * GiB }, defaults);
    expect(small).toThrow(InvalidInputError);
    expect(small).toThrow(/2 CPUs and 24 GiB.*cannot fit one slot of 2 CPUs and 4 GiB[\s\S]*GYRE_BUILDER_SLOTS=1/);
  });
});
