import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import type { BuilderResponse, QueueResponse } from '../../src/api/responses.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';

// GIVEN the services app on a real PostgreSQL, reached over real HTTP, and builders that speak the
// real protocol, each joined with its own slots: the scheduler packs jobs into their room.
let gyre: ServicesUnderTest;
let db: Database;
let projectId: number;
let count = 0;

const GiB = 1024 ** 3;
/** A builder of `slots` slots of 2 CPUs and 4 GiB (CircleCI's `medium`). */
const builderOfMediumSlots = (slots: number) =>
  SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, {
    name: `packer-${++count}`,
    slots,
    slotCpus: 2,
    slotMemoryBytes: 4 * GiB,
  });
const large = (name: string) => ({ name, cpus: 4, memoryGiB: 8 });
const small = (name: string) => ({ name, cpus: 1, memoryGiB: 2 });
const names = (answer: Awaited<ReturnType<SimulatedBuilder['lease']>>) => answer.leases.map((l) => l.context.jobName);
const roomOf = async (builder: SimulatedBuilder) =>
  ((await (await gyre.api('/api/v1/builders')).json()) as { items: BuilderResponse[] }).items.find(
    (b) => b.id === builder.id,
  )!;
const waitReasonOf = async (name: string) =>
  ((await (await gyre.api('/api/v1/queue')).json()) as QueueResponse).items.find((i) => i.name === name)
    ?.waitingBecause;

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  const project = await gyre.api('/api/v1/projects', {
    body: { name: 'packing/p', gitUrl: 'https://git.example.com/p.git' },
  });
  projectId = ((await project.json()) as { id: number }).id;
}, 180_000);

// Each test starts from an empty queue and idle builders: what one leaves must not reach the next.
afterEach(async () => {
  await db.query(
    "UPDATE jobs SET state = 'canceled', finished_at = now() WHERE state IN ('queued', 'leased', 'running', 'blocked')",
  );
  await db.query("UPDATE builders SET state = 'revoked' WHERE state <> 'revoked'");
});

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

describe('bin-packing by resource class', () => {
  it('runs a large job on a builder of two medium slots, then packs four small jobs into the same room', async () => {
    const builder = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [large('big')]);
    await seedWorkflow(db, projectId, [small('s1'), small('s2'), small('s3'), small('s4'), small('s5')]);

    const first = await builder.lease(16);
    expect(names(first)).toEqual(['big']);
    expect(await roomOf(builder)).toMatchObject({
      runningJobs: 1,
      room: { cpus: 4, memoryBytes: 8 * GiB, usedCpus: 4, usedMemoryBytes: 8 * GiB, freeCpus: 0, freeMemoryBytes: 0 },
    });
    expect(await waitReasonOf('s1')).toBe(
      'waiting for room: needs 1 CPU / 2 GiB; the most free on a builder that fits it is 0 CPU / 0 bytes',
    );
    expect(names(await builder.lease(16))).toEqual([]);

    await builder.run(first.leases[0]!);
    expect(names(await builder.lease(16))).toEqual(['s1', 's2', 's3', 's4']);
    expect(await roomOf(builder)).toMatchObject({ runningJobs: 4, room: { freeCpus: 0, freeMemoryBytes: 0 } });
  });

  it('lets no small job overtake a large one that waits for room on the same builder', async () => {
    const builder = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [small('early')]);
    const [early] = (await builder.lease(1)).leases;
    await seedWorkflow(db, projectId, [large('waiting')]);
    await seedWorkflow(db, projectId, [small('behind')]);

    // 3 CPUs and 6 GiB are free: enough for `behind`, not for `waiting`, which is first in the queue.
    expect(names(await builder.lease(16))).toEqual([]);
    expect(await waitReasonOf('waiting')).toBe(
      'waiting for room: needs 4 CPU / 8 GiB; the most free on a builder that fits it is 3 CPU / 6 GiB',
    );
    expect(await waitReasonOf('behind')).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
    await builder.run(early!);
    expect(names(await builder.lease(16))).toEqual(['waiting']);
  });

  it("leaves a job larger than a builder's whole room to a builder that has it", async () => {
    const one = await builderOfMediumSlots(1);
    const two = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [large('needs-two-slots'), small('fits-one')]);
    // The one-slot builder passes over the job it can never run, and takes the next.
    expect(names(await one.lease(16))).toEqual(['fits-one']);
    expect(names(await two.lease(16))).toEqual(['needs-two-slots']);
  });

  it('answers a waiting poll as soon as the job at the head of the queue is taken by another builder', async () => {
    const one = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [small('early')]);
    await one.lease(1);
    await seedWorkflow(db, projectId, [large('head')]);
    await seedWorkflow(db, projectId, [small('behind')]);
    // 3 CPUs and 6 GiB free: not enough for `head`, which `behind` may not overtake.
    let answeredAt = 0;
    const leasing = one.lease(16, 20).then((answer) => ((answeredAt = performance.now()), answer));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answeredAt).toBe(0);
    const other = await builderOfMediumSlots(4);
    expect(names(await other.lease(1))).toEqual(['head']);
    const takenAt = performance.now();
    expect(names(await leasing)).toEqual(['behind']);
    // The notification ends the wait: far sooner than the 20 s the poll asked for.
    expect(answeredAt - takenAt).toBeLessThan(5_000);
  }, 30_000);

  it('counts a job the builder says it still runs against its room, and never leases it that job again', async () => {
    const builder = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [{ name: 'cut-off' }]);
    const [cutOff] = (await builder.lease(1)).leases;
    // The lease expired while the builder was cut off: the job went back to the queue, ahead of `next`.
    await db.query("UPDATE jobs SET state = 'queued', builder_id = NULL, lease_id = NULL WHERE id = $1", [
      cutOff!.jobId,
    ]);
    await seedWorkflow(db, projectId, [{ name: 'next' }]);
    // Still running `cut-off`, it has room for one more medium job, and that is not `cut-off` again.
    const [next] = (await builder.lease(16, 0, [cutOff!.jobId])).leases;
    expect(next?.context.jobName).toBe('next');
    // Once it stopped `cut-off` (its next write heard the lease was gone), it may run it anew.
    expect(names(await builder.lease(16, 0, [next!.jobId]))).toEqual(['cut-off']);
  });

  it("answers a full builder's waiting poll as soon as one of its jobs ends", async () => {
    const builder = await builderOfMediumSlots(1);
    await seedWorkflow(db, projectId, [{ name: 'running' }, { name: 'next' }]);
    const [running] = (await builder.lease(16)).leases;
    expect(running?.context.jobName).toBe('running');
    let answeredAt = 0;
    const leasing = builder.lease(16, 20).then((answer) => ((answeredAt = performance.now()), answer));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answeredAt).toBe(0);
    await builder.run(running!);
    const endedAt = performance.now();
    expect(names(await leasing)).toEqual(['next']);
    // The notification ends the wait: far sooner than the 20 s the poll asked for.
    expect(answeredAt - endedAt).toBeLessThan(5_000);
  }, 30_000);
});

describe('Docker in builds', () => {
  const REMOTE_DOCKER_SPEC = `'{"steps": [{"type": "setup_remote_docker", "name": "Setup a remote Docker engine", "when": "on_success", "dockerLayerCaching": false}]}'`;
  /** A builder of one medium slot that offers Docker in builds. */
  const joinOffering = (dockerInBuilds: 'remote' | 'machine') =>
    SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, {
      name: `packer-${++count}`,
      slots: 1,
      slotCpus: 2,
      slotMemoryBytes: 4 * GiB,
      dockerInBuilds,
    });
  const allowDocker = (id: number, allowed: boolean) =>
    gyre.api(`/api/v1/projects/${id}/docker-in-builds`, { method: 'PUT', body: { allowed } });

  beforeAll(async () => {
    expect((await allowDocker(projectId, true)).status).toBe(200);
  });

  it('passes over a Docker job of a project an administrator has not allowed it, and leases it as soon as one does', async () => {
    const created = await gyre.api('/api/v1/projects', {
      body: { name: 'packing/not-yet', gitUrl: 'https://git.example.com/n.git' },
    });
    const other = (await created.json()) as { id: number; dockerInBuilds: boolean };
    expect(other.dockerInBuilds).toBe(false);
    await seedWorkflow(db, other.id, [small('needs-grant')]);
    await db.query(`UPDATE jobs SET spec = ${REMOTE_DOCKER_SPEC} WHERE name = 'needs-grant' AND state = 'queued'`);
    const offering = await joinOffering('remote');
    expect(names(await offering.lease(16))).toEqual([]);
    expect(await waitReasonOf('needs-grant')).toBe(
      "needs Docker in builds, which its project is not allowed: an administrator allows it on the admin console's Projects page",
    );

    // The builder's poll waits; the grant wakes it, far sooner than the 20 s it asked for.
    const leasing = offering.lease(16, 20);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const grantedAt = performance.now();
    const granted = await allowDocker(other.id, true);
    expect(await granted.json()).toMatchObject({ id: other.id, dockerInBuilds: true });
    expect(names(await leasing)).toEqual(['needs-grant']);
    expect(performance.now() - grantedAt).toBeLessThan(5_000);
    const audited = await db.query<{ actor: string; detail: unknown }>(
      "SELECT actor, detail FROM audit_log WHERE action = 'project.docker_in_builds' AND target = $1",
      [`project:${other.id}`],
    );
    expect(audited.rows).toEqual([{ actor: expect.stringMatching(/^token:/), detail: { allowed: true } }]);

    // Withdrawn, the project's next Docker job waits again; its jobs without Docker do not.
    expect((await allowDocker(other.id, false)).status).toBe(200);
    await seedWorkflow(db, other.id, [small('after-withdrawal'), small('plain-after')]);
    await db.query(`UPDATE jobs SET spec = ${REMOTE_DOCKER_SPEC} WHERE name = 'after-withdrawal' AND state = 'queued'`);
    expect(names(await offering.lease(16))).toEqual(['plain-after']);
    expect(await waitReasonOf('after-withdrawal')).toMatch(/which its project is not allowed/);
  }, 30_000);

  it("gives no Docker to a fork's pull request unless its project passes forks its secrets, while a pull request from the repository itself gets it", async () => {
    const asPullRequest = async (jobName: string, fromFork: boolean) => {
      const { pipelineId } = await seedWorkflow(db, projectId, [small(jobName)]);
      await db.query(
        `UPDATE pipelines SET trigger = 'pull_request', ref = 'refs/pull/7/head', trigger_detail = $2 WHERE id = $1`,
        [pipelineId, { pullRequest: { number: 7, htmlUrl: 'https://github.com/a/b/pull/7', fromFork } }],
      );
      await db.query(`UPDATE jobs SET spec = ${REMOTE_DOCKER_SPEC} WHERE name = $1 AND state = 'queued'`, [jobName]);
    };
    await asPullRequest('from-fork', true);
    await asPullRequest('from-branch', false);
    const offering = await joinOffering('remote');
    expect(names(await offering.lease(16))).toEqual(['from-branch']);
    expect(await waitReasonOf('from-fork')).toBe(
      "needs Docker in builds, which a fork's pull request gets only where the project passes forks its secrets (project settings); it never starts otherwise: cancel it",
    );
    // The maintainers' own trust in forks (they get the secrets too) lets it run.
    await gyre.api(`/api/v1/projects/${projectId}`, { method: 'PATCH', body: { passSecretsToForks: true } });
    try {
      expect(names(await offering.lease(16))).toEqual(['from-fork']);
    } finally {
      await gyre.api(`/api/v1/projects/${projectId}`, { method: 'PATCH', body: { passSecretsToForks: false } });
    }
  });

  it('leases a job with setup_remote_docker only to a builder that offers Docker in builds, and says why it waits meanwhile', async () => {
    const plain = await builderOfMediumSlots(2);
    await seedWorkflow(db, projectId, [small('builds-image'), small('plain')]);
    await db.query(`UPDATE jobs SET spec = ${REMOTE_DOCKER_SPEC} WHERE name = 'builds-image' AND state = 'queued'`);
    // A builder without it passes over the job (it was never leased) and takes the next one.
    expect(names(await plain.lease(16))).toEqual(['plain']);
    expect(await waitReasonOf('builds-image')).toBe(
      'needs Docker in builds (setup_remote_docker); no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=remote on a builder',
    );
    const offering = await joinOffering('remote');
    expect((await roomOf(offering)).dockerInBuilds).toBe('remote');
    expect((await roomOf(plain)).dockerInBuilds).toBe('off');
    expect(names(await offering.lease(16))).toEqual(['builds-image']);
  });

  it('takes a builder whose older agent says nothing of Docker in builds as offering none', async () => {
    await seedWorkflow(db, projectId, [small('needs-engine')]);
    await db.query(`UPDATE jobs SET spec = ${REMOTE_DOCKER_SPEC} WHERE name = 'needs-engine' AND state = 'queued'`);
    // JSON leaves the undefined fact out, as an agent from before the fact existed sends none.
    const older = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, {
      name: `packer-${++count}`,
      dockerInBuilds: undefined,
    });
    expect((await roomOf(older)).dockerInBuilds).toBe('off');
    expect(names(await older.lease(16))).toEqual([]);
  });

  it('leases a machine job only to a builder that offers the machine executor, not to one with remote engines only', async () => {
    await seedWorkflow(db, projectId, [small('vm')]);
    await db.query(
      `UPDATE jobs SET spec = '{"machine": true, "steps": [{"type": "setup_remote_docker", "name": "Start the machine''s Docker engine", "when": "on_success", "dockerLayerCaching": false}]}'
       WHERE name = 'vm' AND state = 'queued'`,
    );
    const remote = await joinOffering('remote');
    expect(names(await remote.lease(16))).toEqual([]);
    expect(await waitReasonOf('vm')).toBe(
      'needs the machine executor; no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=machine on a builder',
    );
    expect(names(await (await joinOffering('machine')).lease(16))).toEqual(['vm']);
  });
});
