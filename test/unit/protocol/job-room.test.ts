import { describe, expect, it } from '@jest/globals';
import { fitsRoom, jobRoomOf, roomLeft } from '../../../src/protocol/index.js';

const GiB = 1024 ** 3;

describe("a builder's room for jobs", () => {
  it('is its slots together, without a CPU bound where slots have no CPU limit', () => {
    expect(jobRoomOf({ slots: 2, slotCpus: 2, slotMemoryBytes: 4 * GiB })).toEqual({ cpus: 4, memoryBytes: 8 * GiB });
    expect(jobRoomOf({ slots: 2, slotCpus: 0, slotMemoryBytes: 4 * GiB })).toEqual({
      cpus: null,
      memoryBytes: 8 * GiB,
    });
  });

  it('adds fractional CPUs as the database does, so a class of exactly the room fits it', () => {
    const room = jobRoomOf({ slots: 3, slotCpus: 0.7, slotMemoryBytes: GiB });
    expect(room.cpus).toBe(2.1);
    expect(fitsRoom({ cpus: 2.1, memoryBytes: GiB }, room)).toBe(true);
  });

  it('has never less than nothing left, for a room made smaller under running jobs', () => {
    expect(roomLeft({ cpus: 2, memoryBytes: 4 * GiB }, { cpus: 4, memoryBytes: 8 * GiB })).toEqual({
      cpus: 0,
      memoryBytes: 0,
    });
    expect(roomLeft({ cpus: null, memoryBytes: 4 * GiB }, { cpus: 4, memoryBytes: GiB })).toEqual({
      cpus: null,
      memoryBytes: 3 * GiB,
    });
  });
});
