import { describe, expect, it } from '@jest/globals';
import { jobLimits } from '../../../../src/builder/runner/environment-setup.js';

const GiB = 1024 ** 3;
const MEDIUM = { name: 'medium', cpus: 2, memoryMiB: 4096 };

describe("a job's limits", () => {
  it("are its resource class's CPUs and memory, with the room's pids, on a builder with more room", () => {
    expect(jobLimits(MEDIUM, { cpus: 4, memoryBytes: 8 * GiB, pids: 1000 })).toEqual({
      cpus: 2,
      memoryBytes: 4 * GiB,
      pids: 1000,
    });
  });

  it("hold a job to its class's CPUs where the builder has no CPU limit (GYRE_SLOT_CPUS=0)", () => {
    expect(jobLimits(MEDIUM, { cpus: null, memoryBytes: 8 * GiB })).toEqual({
      cpus: 2,
      memoryBytes: 4 * GiB,
      pids: 4096,
    });
  });

  it("never go beyond the builder's whole room, for a class made larger after the job was placed", () => {
    expect(jobLimits({ name: 'xlarge', cpus: 8, memoryMiB: 16384 }, { cpus: 2, memoryBytes: 4 * GiB })).toEqual({
      cpus: 2,
      memoryBytes: 4 * GiB,
      pids: 4096,
    });
  });

  it('never ask for more CPUs than the host has, which the engine would refuse', () => {
    expect(jobLimits({ name: 'large', cpus: 4, memoryMiB: 8192 }, { cpus: null, memoryBytes: 16 * GiB }, 2).cpus).toBe(
      2,
    );
    expect(jobLimits(MEDIUM, { cpus: null, memoryBytes: 8 * GiB }, 8).cpus).toBe(2);
  });

  it("take the room's CPUs for a class without a CPU count, and none where neither has one", () => {
    const noCpus = { name: 'any', cpus: 0, memoryMiB: 1024 };
    expect(jobLimits(noCpus, { cpus: 2, memoryBytes: 4 * GiB }).cpus).toBe(2);
    expect(jobLimits(noCpus, { cpus: null, memoryBytes: 4 * GiB }).cpus).toBe(0);
  });
});
