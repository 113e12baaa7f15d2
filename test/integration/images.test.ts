import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import pg from 'pg';
import { startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';
import { until } from '../support/until.js';

// GIVEN the images built by `gyre images build --offline` on the local engine (reused when
// their inputs have not changed), and a second engine in its own network namespace.
const root = join(import.meta.dirname, '../..');
const local = new Docker();
const appImage = 'gyre/app:0.1.0';
const dbImage = 'gyre/postgres:15';
const MINUTE = 60_000;
let work: string;
let second: NetnsEngine | undefined;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would, without blocking the test runner while it works. */
function gyre(args: readonly string[]): Promise<Run> {
  const env = {
    ...process.env,
    ...(process.env['NODE_EXTRA_CA_CERTS'] && { GYRE_EXTRA_CA_CERTS_FILE: process.env['NODE_EXTRA_CA_CERTS'] }),
  };
  return run(process.execPath, [join(root, 'dist/cli.js'), ...args], env);
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: run `npm run build` before the integration tests');
  work = mkdtempSync(join(tmpdir(), 'gyre-images-it-'));
  const built = await gyre(['images', 'build', '--offline']);
  expect({ code: built.code, stderr: built.stderr }).toEqual({
    code: 0,
    stderr: expect.not.stringMatching(/error/) as unknown,
  });
}, 30 * MINUTE);

afterAll(async () => {
  await second?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 2 * MINUTE);

describe('gyre images build', () => {
  it(
    'reuses every image when nothing changed, so CI does not rebuild on each run',
    async () => {
      const again = await gyre(['images', 'build', '--offline', '--json']);
      expect(again.code).toBe(0);
      const { images } = JSON.parse(again.stdout) as { images: { kind: string; outcome: string }[] };
      expect(images.map((i) => [i.kind, i.outcome])).toEqual([
        ['base-debian', 'reused'],
        ['base-node', 'reused'],
        ['db', 'reused'],
        ['app', 'reused'],
      ]);
    },
    2 * MINUTE,
  );

  it(
    'produces an application image that runs Node 24 and the gyre CLI as a non-root user',
    async () => {
      const node = await run('docker', ['run', '--rm', '--entrypoint', 'node', appImage, '--version']);
      expect(node.stdout.trim()).toMatch(/^v24\./);
      const help = await run('docker', ['run', '--rm', appImage, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Usage: gyre/);
      const user = await run('docker', ['run', '--rm', '--entrypoint', 'id', appImage, '-u']);
      expect(user.stdout.trim()).toBe('10001');
      const labels = (await local.getImage(appImage).inspect()).Config.Labels;
      expect(labels).toMatchObject({ 'io.gyre.image': 'app', 'io.gyre.version': '0.1.0' });
    },
    2 * MINUTE,
  );

  it(
    'produces a PostgreSQL image that initialises a database, accepts passwords over TCP and stops cleanly',
    async () => {
      const container = await local.createContainer({
        Image: dbImage,
        Env: ['POSTGRES_USER=gyre', 'POSTGRES_DB=gyre', 'POSTGRES_PASSWORD=it-secret-1'],
        HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
        Labels: { 'io.gyre.test': 'images' },
      });
      try {
        await container.start();
        await until(
          'the database to accept connections (pg_isready)',
          async () =>
            (await run('docker', ['exec', container.id, 'pg_isready', '-h', '127.0.0.1', '-U', 'gyre'])).code === 0,
          { timeoutMs: MINUTE, intervalMs: 500 },
        );
        const port = Number((await container.inspect()).NetworkSettings.Ports['5432/tcp']?.[0]?.HostPort);
        expect(await queryUser(port, 'it-secret-1')).toBe('gyre');
        await expect(queryUser(port, 'wrong-password')).rejects.toThrow(/password authentication failed/);
        await container.stop({ t: 20 });
        expect((await container.inspect()).State.ExitCode).toBe(0);
        expect((await container.logs({ stdout: true, stderr: true })).toString()).toMatch(
          /database system is shut down/,
        );
      } finally {
        await container.remove({ force: true, v: true });
      }
    },
    3 * MINUTE,
  );
});

describe('gyre images save and load', () => {
  it(
    'carries the images to a second engine with the same image ids',
    async () => {
      second = await startNetnsEngine({ name: 'gyreimg9', subnet: '10.250.9', bip: '172.31.9.1/24' });
      const bundle = join(work, 'gyre-images.tar.gz');
      const saved = await gyre(['images', 'save', bundle]);
      expect(saved.code).toBe(0);

      const loaded = await gyre(['images', 'load', bundle, '--host', second.socketUrl, '--json']);
      expect(loaded.stderr).toBe('');
      expect(loaded.code).toBe(0);

      const remote = new Docker({ socketPath: second.socketPath });
      for (const ref of [appImage, dbImage]) {
        const [here, there] = await Promise.all([local.getImage(ref).inspect(), remote.getImage(ref).inspect()]);
        expect(there.Id).toBe(here.Id);
      }
      const reported = (JSON.parse(loaded.stdout) as { images: { ref: string }[] }).images.map((i) => i.ref).sort();
      expect(reported).toEqual([appImage, dbImage]);
    },
    10 * MINUTE,
  );
});

async function queryUser(port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'gyre', database: 'gyre', password });
  await client.connect();
  try {
    const result = await client.query<{ user: string }>('SELECT current_user AS user');
    return result.rows[0]!.user;
  } finally {
    await client.end();
  }
}
