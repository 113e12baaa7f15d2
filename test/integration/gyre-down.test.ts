import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { SERVICES_PROJECT_NAME } from '../../src/render/index.js';
import { freePort } from '../../src/testing/free-port.js';
import { gyreIn, removeInstall, type CliRun } from '../support/install-folder.js';
import { expectNoServicesStack, servicesStackObjects } from '../support/services-stack-objects.js';
import { until } from '../support/until.js';

// GIVEN the services stack brought up by `gyre up` on this machine's Docker Engine, from a folder
// of its own (`.env` and `.gyre` live there) with free ports on the loopback address.
//
// The Compose project name (gyre-services) is fixed, so this file must not run while another one
// uses it (orchestrator-multihost.test.ts): both are in the docker lane, which runs its files one
// at a time (services-stack-objects puts them there). The stack is refused up front if one is
// already there, rather than taken over or taken down.
let work: string;
let httpPort: number;

/** The built CLI, as an operator runs it, in the test's folder. */
const gyre = (args: readonly string[], timeoutMs?: number): CliRun => gyreIn(work, args, timeoutMs);

/** The API with the address and token `gyre up` saved in .gyre/api.json. */
function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const { url, token } = JSON.parse(readFileSync(join(work, '.gyre/api.json'), 'utf8')) as {
    url: string;
    token: string;
  };
  return fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

function up(): CliRun {
  const run = gyre(['up']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run;
}

/** Whether Docker calls the app's container running (a crash-looping one is, between restarts). */
async function appIsRunning(): Promise<boolean> {
  const filters = JSON.stringify({
    label: [`com.docker.compose.project=${SERVICES_PROJECT_NAME}`, 'com.docker.compose.service=app'],
  });
  const [app] = await new Docker().listContainers({ all: true, filters });
  return app?.State === 'running';
}

async function projectNames(): Promise<string[]> {
  const listed = await api('/api/v1/projects');
  expect(listed.status).toBe(200);
  return ((await listed.json()) as { items: { name: string }[] }).items.map((p) => p.name);
}

beforeAll(async () => {
  await expectNoServicesStack();
  work = mkdtempSync(join(tmpdir(), 'gyre-down-'));
  httpPort = await freePort();
  expect(gyre(['init', '--env', '.env']).code).toBe(0);
  writeFileSync(
    join(work, '.env'),
    `\nGYRE_BIND_ADDRESS=127.0.0.1\nGYRE_HTTP_PORT=${httpPort}\nGYRE_ADMIN_PORT=${await freePort()}\n`,
    { flag: 'a' },
  );
}, 120_000);

afterAll(async () => {
  // The last test took the stack and its data down already; this is the safety net when one failed.
  await removeInstall(work);
}, 600_000);

describe('gyre down', () => {
  let projectId: number;

  it('without --volumes keeps the data: a project made before it is there after `gyre up` again', async () => {
    up();
    const created = await api('/api/v1/projects', {
      body: { name: 'acme/kept', gitUrl: 'https://git.example.com/acme/kept.git' },
    });
    expect(created.status).toBe(201);
    projectId = ((await created.json()) as { id: number }).id;
    const volumes = (await servicesStackObjects()).volumes;
    expect(volumes.length).toBeGreaterThan(0);

    const down = gyre(['down'], 300_000);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('The services stack is down on');
    expect(down.stdout).toContain('their data volumes are kept');
    expect(await servicesStackObjects()).toEqual({ containers: [], volumes });

    // The saved token still works: the database it lives in was kept.
    expect(up().stdout).toContain('reusing the token in');
    const project = await api(`/api/v1/projects/${projectId}`);
    expect(project.status).toBe(200);
    expect(await project.json()).toMatchObject({ id: projectId, name: 'acme/kept' });
    expect(await projectNames()).toEqual(['acme/kept']);
  }, 900_000);

  it('a new GYRE_DB_PASSWORD against the kept data volume fails at once, saying why and how to fix it', async () => {
    const envFile = join(work, '.env');
    const settings = readFileSync(envFile, 'utf8');
    const { volumes } = await servicesStackObjects();
    expect(gyre(['down'], 300_000).code).toBe(0);
    writeFileSync(
      envFile,
      settings.replace(/^GYRE_DB_PASSWORD=.*$/m, 'GYRE_DB_PASSWORD=not-the-one-the-volume-was-made-with'),
    );

    const refused = gyre(['up']);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('app of the stack gyre-services on');
    expect(refused.stderr).toContain('GYRE_DB_PASSWORD: is refused by the database');
    expect(refused.stderr).toContain('gyre down --volumes');
    // The data is still there: with the password it was made with, it comes back. `gyre up` runs
    // while the crash-looping app is up between two restarts, as it was when CI once failed here:
    // Compose then calls it running, and it still holds the wrong password. (The CLI runs block
    // this process's event loop; the await before the API call lets its HTTP client see that the
    // stack's restart closed the connection it keeps, which it would otherwise reuse.)
    writeFileSync(envFile, settings);
    await until('the crash-looping app to be running between two restarts', () => appIsRunning(), {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    expect(up().stdout).toContain('reusing the token in');
    expect((await servicesStackObjects()).volumes).toEqual(volumes);
    expect(await projectNames()).toEqual(['acme/kept']);
  }, 900_000);

  it('--volumes asks for confirmation: without a terminal and without --yes it changes nothing', async () => {
    const before = await servicesStackObjects();
    expect(before.containers).toEqual(['app', 'db']);
    const refused = gyre(['down', '--volumes'], 120_000);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('add --yes to confirm');
    expect(await servicesStackObjects()).toEqual(before);
    expect(await projectNames()).toEqual(['acme/kept']);
  }, 300_000);

  it('--volumes --yes deletes the data: after `gyre up` again the project is gone', async () => {
    const down = gyre(['down', '--volumes', '--yes'], 300_000);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('their data volumes are deleted');
    expect(await servicesStackObjects()).toEqual({ containers: [], volumes: [] });

    // A fresh database: the saved token is unknown there, so `gyre up` makes a new one.
    expect(up().stdout).toContain('saved to');
    expect(await projectNames()).toEqual([]);
    expect((await api(`/api/v1/projects/${projectId}`)).status).toBe(404);

    const last = gyre(['down', '--volumes', '--yes'], 300_000);
    expect(last.code).toBe(0);
    expect(await servicesStackObjects()).toEqual({ containers: [], volumes: [] });
  }, 900_000);
});
