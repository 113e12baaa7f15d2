import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverForkPullRequest } from '../support/github-examples.js';
import { waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL and a real git server, a project whose
// config has a job naming one SSH key by fingerprint, one adding every key and one adding none,
// and a simulated builder that shows what each lease carries. mia is a member of the project.
// WHEN maintainers add keys and pipelines run, THEN keys are sealed at rest, shown without their
// private halves, and leased only to the jobs whose steps name them, never to a fork's build.

const REPOSITORY = 'acme/keys';
const ED25519 = opensshFingerprints('ed25519.key');
const RSA = opensshFingerprints('rsa-pem.key');
const CONFIG = `version: 2.1
jobs:
  named:
    docker: [{ image: alpine }]
    steps:
      - add_ssh_keys:
          fingerprints: ["MD5:${ED25519.md5.toUpperCase()}"]
      - run: "true"
  every: { docker: [{ image: alpine }], steps: [add_ssh_keys, { run: "true" }] }
  none: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  main: { jobs: [named, every, none] }
`;
let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let builder: SimulatedBuilder;
let project: { id: number; webhookSecret: string };
let miaToken: string;

const keysPath = () => `/api/v1/projects/${project.id}/ssh-keys`;
const asMia = (path: string, method = 'GET', body?: unknown) =>
  fetch(`${gyre.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${miaToken}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('keys');
  await git.push('keys', { '.circleci/config.yml': CONFIG });
  const created = await gyre.api('/api/v1/projects', {
    body: { name: 'acme/keys', gitUrl: git.url('keys'), repository: REPOSITORY },
  });
  project = (await created.json()) as typeof project;
  gyre.createAccount('mia', 'a long enough password');
  expect(
    (await gyre.api(`/api/v1/projects/${project.id}/members/mia`, { method: 'PUT', body: { role: 'member' } })).status,
  ).toBe(200);
  const mia = (await db.query<{ id: string }>("SELECT id FROM users WHERE login = 'mia'")).rows[0]!.id;
  miaToken = (await createApiToken(db, "mia's token", Number(mia))).token;
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'ssh-keys-builder' });
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Leases every job of the pipeline (others' jobs succeed on the way), by job name. */
async function leasesOf(pipelineId: number): Promise<Map<string, JobLease>> {
  const ids = new Set((await waitForJobs(gyre, pipelineId, (jobs) => jobs.length === 3)).map((j) => j.id));
  const found = new Map<string, JobLease>();
  await until(`the jobs of pipeline ${pipelineId} to be leased`, async () => {
    for (const lease of (await builder.lease(4)).leases) {
      if (ids.has(lease.jobId)) found.set(lease.context.jobName, lease);
      await builder.run(lease);
    }
    return found.size === 3 || undefined;
  });
  return found;
}

describe('project SSH keys', () => {
  it('are added by maintainers with every problem listed at once, and shown to members without the private half', async () => {
    // WHEN a maintainer gives a key with a passphrase and a host name that is none
    const bad = await gyre.api(keysPath(), {
      method: 'POST',
      body: { privateKey: sshKeyText('ed25519-passphrase.key'), hostname: 'github.com\nHost *' },
    });
    // THEN both problems are named, with how to fix them, and nothing is stored
    expect(bad.status).toBe(400);
    const problems = ((await bad.json()) as { error: { details: { input: string; message: string }[] } }).error.details;
    expect(problems.map((p) => [p.input, p.message])).toEqual([
      ['privateKey', 'the key has a passphrase, which a job cannot type'],
      ['hostname', '"github.com\nHost *" is not a host name'],
    ]);

    // WHEN the maintainer adds two good keys, one for github.com
    const added = await gyre.api(keysPath(), {
      method: 'POST',
      body: { privateKey: sshKeyText('ed25519.key'), hostname: 'github.com' },
    });
    expect(added.status).toBe(201);
    expect(await added.json()).toEqual({
      ...ED25519,
      hostname: 'github.com',
      publicKey: sshKeyText('ed25519.pub').trim(),
      addedBy: expect.any(String),
      addedAt: expect.any(String),
    });
    expect(
      (await gyre.api(keysPath(), { method: 'POST', body: { privateKey: sshKeyText('rsa-pem.key') } })).status,
    ).toBe(201);
    // THEN adding one again is a conflict, and a member may list but not add
    const again = await gyre.api(keysPath(), { method: 'POST', body: { privateKey: sshKeyText('ed25519.key') } });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('ssh_key_exists');
    expect((await asMia(keysPath(), 'POST', { privateKey: sshKeyText('ecdsa.key') })).status).toBe(403);
    const listed = await asMia(keysPath());
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect((JSON.parse(text) as { items: { sha256: string }[] }).items.map((k) => k.sha256)).toEqual([
      ED25519.sha256,
      RSA.sha256,
    ]);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('are sealed at rest, and each change is audited without the key', async () => {
    const rows = await db.query<{ secret: Buffer }>('SELECT secret FROM project_ssh_keys WHERE project_id = $1', [
      project.id,
    ]);
    expect(rows.rows).toHaveLength(2);
    for (const { secret } of rows.rows) {
      expect(secret.toString('latin1')).not.toContain('PRIVATE KEY');
      expect(secret.toString('latin1')).not.toContain(sshKeyText('ed25519.key').split('\n')[1]);
    }
    const audit = await db.query<{ action: string; detail: string }>(
      "SELECT action, detail::text FROM audit_log WHERE action LIKE 'project.ssh_key%' ORDER BY id",
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['project.ssh_key_add', 'project.ssh_key_add']);
    expect(audit.rows[0]!.detail).toContain(ED25519.sha256);
    expect(JSON.stringify(audit.rows)).not.toContain('PRIVATE KEY');
  });

  it("go to a job's lease only as its add_ssh_keys steps name them", async () => {
    const triggered = await gyre.api(`/api/v1/projects/${project.id}/pipelines`, { body: { branch: 'main' } });
    expect(triggered.status).toBe(201);
    const leases = await leasesOf(((await triggered.json()) as { id: number }).id);
    // The step named the ed25519 key by its MD5, written in upper case with the MD5: prefix.
    expect(leases.get('named')!.sshKeys).toEqual([
      { ...ED25519, hostname: 'github.com', privateKey: sshKeyText('ed25519.key') },
    ]);
    expect(leases.get('every')!.sshKeys?.map((k) => k.sha256)).toEqual([ED25519.sha256, RSA.sha256]);
    expect(leases.get('every')!.sshKeys?.[1]?.privateKey).toBe(sshKeyText('rsa-pem.key'));
    expect(leases.get('none')!.sshKeys).toBeUndefined();
    expect(leases.get('none')!.secretsWithheld).toBeUndefined();
  }, 120_000);

  it("are kept from the build of a fork's pull request, which is told its secrets are withheld", async () => {
    const pipelineId = await deliverForkPullRequest(gyre, git, project, {
      repo: 'keys',
      repository: REPOSITORY,
      headRepository: 'someone/keys',
      branch: 'fork-change',
      config: CONFIG,
    });
    const leases = await leasesOf(pipelineId);
    for (const name of ['named', 'every']) {
      expect(leases.get(name)!.sshKeys).toBeUndefined();
      expect(leases.get(name)!.secretsWithheld).toBe(true);
    }
  }, 120_000);

  it('are removed by either fingerprint, with a clear answer for one that is malformed or unknown', async () => {
    const malformed = await gyre.api(`${keysPath()}/not-a-fingerprint`, { method: 'DELETE' });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('SHA256:');
    expect((await asMia(`${keysPath()}/${encodeURIComponent(RSA.sha256)}`, 'DELETE')).status).toBe(403);
    expect((await gyre.api(`${keysPath()}/${encodeURIComponent(RSA.sha256)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gyre.api(`${keysPath()}/${ED25519.md5}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gyre.api(`${keysPath()}/${ED25519.md5}`, { method: 'DELETE' })).status).toBe(404);
    expect(await (await gyre.api(keysPath())).json()).toEqual({ items: [] });
    const removals = await db.query("SELECT 1 FROM audit_log WHERE action = 'project.ssh_key_remove'");
    expect(removals.rowCount).toBe(2);
  });
});
