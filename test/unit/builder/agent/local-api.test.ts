import { afterEach, describe, expect, it } from '@jest/globals';
import type { AgentStatus } from '../../../../src/builder/agent/agent.js';
import { startLocalApi, type LocalApi } from '../../../../src/builder/agent/local-api.js';

const STATUS = {
  name: 'b1',
  builderId: 7,
  state: 'healthy',
  localDrain: false,
  capacity: { slots: 2 },
  runningJobs: [3],
} as unknown as AgentStatus;

describe("the agent's local API", () => {
  let api: LocalApi | undefined;
  let drains = 0;
  afterEach(async () => {
    await api?.close();
    drains = 0;
  });
  const start = async () => {
    api = await startLocalApi({ status: () => STATUS, drain: () => void drains++ }, 0);
    return api.url;
  };

  it('answers the health check with the status, on loopback', async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ status: 'ok', ...STATUS });
  });

  it('drains on POST /drain, and only then', async () => {
    const url = await start();
    expect((await fetch(`${url}/drain`)).status).toBe(404);
    expect(drains).toBe(0);
    const response = await fetch(`${url}/drain`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual(STATUS);
    expect(drains).toBe(1);
  });

  it('names its routes for any other address', async () => {
    const url = await start();
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('GET /healthz');
  });

  it('closes with keep-alive connections open', async () => {
    const url = await start();
    await fetch(`${url}/healthz`);
    await api!.close();
    api = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
