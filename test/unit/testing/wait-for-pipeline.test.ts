import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../../src/testing/api-client.js';
import { GyreEnvironmentError } from '../../../src/testing/errors.js';

// A stand-in for the services box's API: a pipeline whose only unfinished job is an approval on hold.
const PIPELINE = {
  id: 7,
  projectId: 1,
  number: 7,
  trigger: 'api',
  ref: 'refs/heads/main',
  branch: 'main',
  tag: null,
  sha: 'a'.repeat(40),
  state: 'created',
  detail: {},
  error: null,
  configWarnings: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const job = (id: number, name: string, state: string, type = 'build') => ({
  id,
  workflowId: 3,
  name,
  type,
  nodeIndex: 0,
  nodeTotal: 1,
  requires: [],
  state,
  attempt: state === 'success' ? 1 : 0,
});
const WORKFLOWS = {
  items: [
    {
      id: 3,
      pipelineId: 7,
      name: 'release',
      state: 'running',
      jobs: [job(1, 'build', 'success'), job(2, 'hold', 'on_hold', 'approval'), job(3, 'deploy', 'blocked')],
    },
  ],
};

let server: Server;
let client: ApiClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = request.url?.endsWith('/workflows') ? WORKFLOWS : PIPELINE;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new ApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('waiting for a pipeline in GyreEnvironment', () => {
  it('says at once that it waits for an approval, and how to give it, instead of running into the timeout', async () => {
    // Ten minutes to wait: jest's own five-second limit fails the test if it waits for them.
    const waiting = client.waitForPipeline(7, 600_000, 10);
    await expect(waiting).rejects.toThrow(GyreEnvironmentError);
    await expect(waiting).rejects.toThrow(/waits for approval of hold \(job 2\).*POST \/api\/v1\/jobs\/2\/approve/s);
  });
});
