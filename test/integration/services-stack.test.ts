import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import * as compose from 'docker-compose';
import { freePort } from '../../src/testing/free-port.js';
import { runGyre } from '../support/cli.js';

// GIVEN images built by `gyre images build --offline` (the integration global set-up builds
// them), the default services stack rendered for test ports, brought up by real Compose v2.
const project = `gyre-it-services-${process.pid}`;
const docker = new Docker();
let dir: string;
let httpPort: number;
let adminPort: number;
const composeOptions = () => ({ cwd: dir, config: 'services.yml', composeOptions: ['-p', project], log: false });

async function projectContainers() {
  return docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gyre-stack-'));
  [httpPort, adminPort] = [await freePort(), await freePort()];
  expect(runGyre(['init', '--env', join(dir, '.env')]).status).toBe(0);
  writeFileSync(
    join(dir, '.env'),
    `\nGYRE_BIND_ADDRESS=127.0.0.1\nGYRE_HTTP_PORT=${httpPort}\nGYRE_ADMIN_PORT=${adminPort}\n`,
    { flag: 'a' },
  );
  const rendered = runGyre(['render', '--env', join(dir, '.env'), '--out', dir]);
  expect(rendered.stderr).toBe('');
  expect(rendered.status).toBe(0);
}, 60_000);

afterAll(async () => {
  // The last test already took the stack down; this is the safety net when an earlier one failed.
  await compose
    .downAll({ ...composeOptions(), commandOptions: ['--volumes', '--remove-orphans'] })
    .catch((error: unknown) => console.warn(`cleanup of ${project} failed`, error));
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the rendered default services stack', () => {
  it('comes up with every service healthy and reports the database as up', async () => {
    await compose.upAll({ ...composeOptions(), commandOptions: ['--wait', '--wait-timeout', '180'] });

    const containers = await projectContainers();
    expect(containers.map((c) => c.Labels['com.docker.compose.service']).sort()).toEqual(['app', 'db']);
    for (const c of containers) expect(c.Status).toContain('(healthy)');

    for (const port of [httpPort, adminPort]) {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ok',
        database: { state: 'up', serverVersion: expect.stringMatching(/^15\./) },
      });
    }
  }, 300_000);

  it('reports the database as down with 503 when PostgreSQL stops', async () => {
    await compose.stopOne('db', composeOptions());
    const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'unavailable',
      database: { state: 'down', error: expect.any(String) },
    });
  }, 120_000);

  it('comes down clean, leaving no containers behind', async () => {
    await compose.downAll({ ...composeOptions(), commandOptions: ['--volumes'] });
    expect(await projectContainers()).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } });
    expect(volumes.Volumes ?? []).toEqual([]);
  }, 120_000);
});
