import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readOrbSource } from '../../src/cli/read-orb-source.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { runGyreAsync } from '../support/cli.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL and a real git server, and the sources of real orbs
// (circleci/node@7.2.1, circleci/go@3.0.2; test/fixtures/orbs),
// WHEN an administrator imports them through the API and the `gyre orbs` CLI, and configs that
// name them are pushed,
// THEN the store keeps each version immutable, refuses bad input with every problem named, and
// the planner expands the orbs the store holds and names the ones it lacks.
const FIXTURES = join(import.meta.dirname, '../fixtures');
const NODE_CONFIG = readFileSync(join(FIXTURES, 'pipeline-configs/orbs/node-test-job.yml'), 'utf8');
let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let projectId: number;

async function source(folder: string): Promise<Record<string, string>> {
  return Object.fromEntries(await readOrbSource(join(FIXTURES, 'orbs', folder)));
}

async function put(ref: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await gyre.api(`/api/v1/orbs/${ref.replace('@', '/')}`, { method: 'PUT', body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('orbs');
  await git.push('orbs', { '.circleci/config.yml': NODE_CONFIG });
  const created = await gyre.api('/api/v1/projects', { body: { name: 'acme/orbs', gitUrl: git.url('orbs') } });
  projectId = ((await created.json()) as { id: number }).id;
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Pushes `config` to `branch`, triggers a pipeline there and waits until it is planned or failed. */
async function plan(branch: string, config: string): Promise<{ id: number; state: string; error: unknown }> {
  await git.push('orbs', { '.circleci/config.yml': config }, { branch });
  const created = await gyre.api(`/api/v1/projects/${projectId}/pipelines`, { body: { branch } });
  const { id } = (await created.json()) as { id: number };
  return until(
    `pipeline ${id} to be planned`,
    async () => {
      const pipeline = (await (await gyre.api(`/api/v1/pipelines/${id}`)).json()) as {
        id: number;
        state: string;
        error: unknown;
      };
      return pipeline.state === 'pending' ? undefined : pipeline;
    },
    { intervalMs: 200 },
  );
}

describe('the orb store', () => {
  it('imports an orb from its source tree once, keeps the version immutable, and audits who did it', async () => {
    const files = await source('node-7.2.1');
    const first = await put('circleci/node@7.2.1', { files });
    expect(first).toEqual({
      status: 201,
      body: expect.objectContaining({ ref: 'circleci/node@7.2.1', importedBy: expect.stringMatching(/^token:/) }),
    });
    // The same text again changes nothing; other text under the same version is refused.
    expect((await put('circleci/node@7.2.1', { files })).status).toBe(200);
    const other = await put('circleci/node@7.2.1', { yaml: 'version: 2.1\ndescription: another\n' });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ error: expect.objectContaining({ code: 'orb_version_exists' }) });
    const stored = (await (await gyre.api('/api/v1/orbs/circleci/node/7.2.1')).json()) as { yaml: string };
    expect(stored.yaml).toContain('install-packages:');
    const audit = await db.query<{ action: string; target: string }>(
      "SELECT action, target FROM audit_log WHERE action LIKE 'orb.%' ORDER BY id",
    );
    expect(audit.rows).toEqual([{ action: 'orb.import', target: 'orb:circleci/node@7.2.1' }]);
  }, 60_000);

  it('refuses an orb whose dependency is not imported yet, then takes it once the dependency is', async () => {
    const files = await source('go-3.0.2');
    const refused = await put('circleci/go@3.0.2', { files });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('orb circleci/os-detect@0.2 is not in this installation');
    const standIn = readFileSync(join(FIXTURES, 'orbs/os-detect-stand-in/orb.yml'), 'utf8');
    expect((await put('circleci/os-detect@0.2.0', { yaml: standIn })).status).toBe(201);
    expect((await put('circleci/go@3.0.2', { files })).status).toBe(201);
  }, 60_000);

  it('lists every problem of a bad orb at once, each naming where it is, and stores nothing', async () => {
    const broken = await put('acme/broken@1.0.0', {
      yaml: 'version: 2.1\ncommands:\n  a: { steps: [checkout] }\n  b: [1]\nfrobnicate: true\n',
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({
      error: expect.objectContaining({
        code: 'invalid_input',
        details: [
          expect.objectContaining({ input: 'acme/broken@1.0.0 line 4, column 6 (commands.b)' }),
          expect.objectContaining({
            input: 'acme/broken@1.0.0 line 5, column 1 (frobnicate)',
            message: expect.stringContaining('frobnicate') as unknown,
          }),
        ],
      }),
    });
    const source = await put('acme/broken@1.0.0', {
      files: { '@orb.yml': 'version: 2.1\n', 'commands/x.yml': 'steps:\n  - run: <<include(scripts/none.sh)>>\n' },
    });
    expect(source.status).toBe(400);
    expect(JSON.stringify(source.body)).toContain('src/commands/x.yml');
    expect((await put('acme/broken@1.0', { yaml: 'version: 2.1\n' })).status).toBe(400);
    expect((await gyre.api('/api/v1/orbs/acme/broken/1.0.0')).status).toBe(404);
  }, 60_000);

  it('plans a config that runs an orb job, and names an orb the store lacks with how to import it', async () => {
    const planned = await plan('node', NODE_CONFIG);
    expect(planned.state).not.toBe('error');
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${planned.id}/workflows`)).json()) as {
      items: { jobs: { name: string; state: string }[] }[];
    };
    expect(workflows.items[0]?.jobs.map((j) => [j.name, j.state])).toEqual([['node/test', 'queued']]);

    const missing = await plan('missing', NODE_CONFIG.replace('node: circleci/node@7.2.1', 'node: circleci/node@6'));
    expect(missing.state).toBe('error');
    expect(missing.error).toEqual(
      expect.objectContaining({
        errors: [
          expect.objectContaining({
            path: 'orbs.node',
            message: expect.stringContaining(
              "orb circleci/node@6 is not in this installation's orb store (Gyre cannot reach CircleCI's orb registry). An administrator imports it with `gyre orbs import circleci/node@<version>",
            ) as unknown,
          }),
        ],
      }),
    );
  }, 60_000);

  // Five CLI processes, each starting Node: jest's 5 s default is no bound for that on a busy machine.
  it('is driven by `gyre orbs` from a source folder, with JSON for scripts and exit codes that mean something', async () => {
    const env = { ...process.env, GYRE_API_URL: gyre.base, GYRE_API_TOKEN: gyre.token };
    const folder = mkdtempSync(join(tmpdir(), 'gyre-orb-'));
    try {
      writeFileSync(join(folder, '@orb.yml'), 'version: 2.1\ndescription: hello\n');
      writeFileSync(join(folder, 'hello.sh'), 'echo hello\n');
      // The source layout: commands/ beside @orb.yml, scripts included relative to it.
      mkdirSync(join(folder, 'commands'));
      writeFileSync(join(folder, 'commands/greet.yml'), 'steps:\n  - run: <<include(hello.sh)>>\n');
      const imported = await runGyreAsync(['orbs', 'import', 'acme/hello@1.0.0', folder, '--json'], { env });
      expect(imported.stderr).toBe('');
      expect(imported.status).toBe(0);
      expect(JSON.parse(imported.stdout)).toEqual(expect.objectContaining({ ref: 'acme/hello@1.0.0' }));
      const listed = await runGyreAsync(['orbs', 'list', '--json'], { env });
      expect((JSON.parse(listed.stdout) as { ref: string }[]).map((o) => o.ref)).toEqual([
        'acme/hello@1.0.0',
        'circleci/go@3.0.2',
        'circleci/node@7.2.1',
        'circleci/os-detect@0.2.0',
      ]);
      const bad = await runGyreAsync(['orbs', 'import', 'acme/bad@1.0.0', join(folder, 'commands/greet.yml')], { env });
      // A command file is not an orb: the API's refusal is listed and the exit code says bad input.
      expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('the orb acme/bad@1.0.0 has')]);
      const removed = await runGyreAsync(['orbs', 'remove', 'acme/hello@1.0.0'], { env });
      expect([removed.status, removed.stdout.trim()]).toEqual([0, 'Removed acme/hello@1.0.0.']);
      const gone = await runGyreAsync(['orbs', 'remove', 'acme/hello@1.0.0'], { env });
      expect(gone.status).toBe(2);
      expect(gone.stderr).toContain('does not exist');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
