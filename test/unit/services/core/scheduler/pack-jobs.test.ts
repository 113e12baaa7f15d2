import { describe, expect, it } from '@jest/globals';
import { takeInQueueOrder } from '../../../../../src/services/core/scheduler/pack-jobs.js';

const GiB = 1024 ** 3;
const small = (id: string) => ({ id, cpus: 1, memoryBytes: 2 * GiB });
const medium = (id: string) => ({ id, cpus: 2, memoryBytes: 4 * GiB });
const large = (id: string) => ({ id, cpus: 4, memoryBytes: 8 * GiB });
const ids = (jobs: readonly { id: string }[]) => jobs.map((j) => j.id);

describe('takeInQueueOrder, the bin-packing of one lease', () => {
  it('packs jobs by class into the room: four small jobs where two medium slots are free', () => {
    const queue = [small('a'), small('b'), small('c'), small('d'), small('e')];
    expect(ids(takeInQueueOrder(queue, { cpus: 4, memoryBytes: 8 * GiB }, 16))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives a large job the whole room of two medium slots', () => {
    expect(ids(takeInQueueOrder([large('big'), small('s')], { cpus: 4, memoryBytes: 8 * GiB }, 16))).toEqual(['big']);
  });

  it('stops at the first job that does not fit, so smaller ones behind it never starve it', () => {
    const queue = [small('a'), large('big'), small('b')];
    expect(ids(takeInQueueOrder(queue, { cpus: 4, memoryBytes: 8 * GiB }, 16))).toEqual(['a']);
  });

  it('counts memory alone where the builder does not limit CPUs', () => {
    const queue = [large('x'), large('y'), large('z')];
    expect(ids(takeInQueueOrder(queue, { cpus: null, memoryBytes: 16 * GiB }, 16))).toEqual(['x', 'y']);
  });

  it('takes a medium job beside a small one, then stops where the room ends', () => {
    const queue = [medium('m'), small('s'), medium('n')];
    expect(ids(takeInQueueOrder(queue, { cpus: 4, memoryBytes: 8 * GiB }, 16))).toEqual(['m', 's']);
  });

  it('takes no more than asked for', () => {
    expect(ids(takeInQueueOrder([small('a'), small('b')], { cpus: 4, memoryBytes: 8 * GiB }, 1))).toEqual(['a']);
  });

  it('fits fractional CPUs exactly, however they add up', () => {
    const tenth = (id: string) => ({ id, cpus: 0.1, memoryBytes: 1 });
    const queue = Array.from({ length: 11 }, (_, i) => tenth(String(i)));
    expect(takeInQueueOrder(queue, { cpus: 1, memoryBytes: 100 }, 16)).toHaveLength(10);
  });
});
