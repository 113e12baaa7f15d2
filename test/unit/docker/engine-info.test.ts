import { describe, expect, it } from '@jest/globals';
import { engineInfoOf } from '../../../src/docker/engine-info.js';

// GET /info answers, cut to the fields Gyre reads (Docker 20.10 on cgroup v1; 24 on cgroup v2 with systemd).
const base = { NCPU: 2, MemTotal: 25_275_822_080, Name: 'builder-1', ServerVersion: '20.10.24+dfsg1' };

describe('engineInfoOf', () => {
  it('reads the machine and says a cgroup v1 engine with the cgroupfs driver nests cgroups', () => {
    expect(engineInfoOf({ ...base, CgroupVersion: '1', CgroupDriver: 'cgroupfs' })).toEqual({
      cpus: 2,
      memoryBytes: 25_275_822_080,
      name: 'builder-1',
      serverVersion: '20.10.24+dfsg1',
      nestedCgroups: true,
    });
  });

  it.each([
    ['cgroup v2', { CgroupVersion: '2', CgroupDriver: 'cgroupfs' }],
    ['the systemd driver', { CgroupVersion: '1', CgroupDriver: 'systemd' }],
    ['cgroup v2 with systemd', { CgroupVersion: '2', CgroupDriver: 'systemd' }],
  ])('does not nest them with %s: each container then gets limits of its own', (_name, cgroups) => {
    expect(engineInfoOf({ ...base, ...cgroups }).nestedCgroups).toBe(false);
  });

  it('takes an engine that does not name its cgroup version (before API 1.40) for version 1', () => {
    expect(engineInfoOf({ ...base, CgroupDriver: 'cgroupfs' }).nestedCgroups).toBe(true);
  });
});
