import { describe, expect, it } from '@jest/globals';
import { isHealthy, type InstallStatus } from '../../../src/orchestrator/services/services-status.js';

const HEALTHY: InstallStatus = {
  host: 'unix:///var/run/docker.sock',
  services: [
    { id: 'c-app', service: 'app', state: 'running', health: 'healthy' },
    { id: 'c-db', service: 'db', state: 'running', health: 'healthy' },
  ],
  health: { status: 'ok', database: 'up' },
  builders: {
    total: 1,
    byState: { active: 1 },
    healthy: 1,
    runningJobs: 0,
    free: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
  },
  queue: { depth: 0, oldestQueuedAt: null, oldestJob: null },
};

describe('isHealthy, the verdict of gyre status', () => {
  it('is healthy when every service runs healthy and the app says it and its database are up', () => {
    expect(isHealthy(HEALTHY)).toBe(true);
  });

  it("is healthy right after gyre up, while Docker's first 30 s probe has not run but the app answers", () => {
    const services = [
      { id: 'c-app', service: 'app', state: 'running', health: 'starting' },
      { id: 'c-db', service: 'db', state: 'running', health: 'starting' },
    ];
    expect(isHealthy({ ...HEALTHY, services })).toBe(true);
  });

  it.each([
    ['a service is unhealthy', { services: [{ id: 'c-app', service: 'app', state: 'running', health: 'unhealthy' }] }],
    ['a service is not running', { services: [{ id: 'c-app', service: 'app', state: 'exited', health: '' }] }],
    ['there is no service', { services: [] }],
    ['Compose could not be asked', { services: { error: 'cannot connect' } }],
    ['the app does not answer', { health: { status: 'unreachable (ECONNREFUSED)' } }],
    ['the database is down', { health: { status: 'unavailable', database: 'down' } }],
  ] as const)('is not healthy when %s', (_why, change) => {
    expect(isHealthy({ ...HEALTHY, ...change })).toBe(false);
  });
});
