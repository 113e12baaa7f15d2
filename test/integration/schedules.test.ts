import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { ScheduleStore } from '../../src/services/stores/schedules/schedule-store.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL, a project on a real git server, and the
// schedule loop checking every 100 ms by a clock the test moves (the hourly slots are real UTC
// hours after the schedule was made). The config runs `nightly` only for scheduled pipelines,
// as CircleCI's docs suggest, and `ci` otherwise.
const HOUR = 60 * 60 * 1000;
let clock = new Date();
let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let projectId: number;

const CONFIG = `version: 2.1
parameters:
  target: { type: string, default: none }
jobs:
  report:
    docker: [{ image: node:24 }]
    steps: [{ run: echo << pipeline.schedule.name >> << pipeline.parameters.target >> }]
  build:
    docker: [{ image: node:24 }]
    steps: [{ run: make }]
workflows:
  nightly:
    when: { equal: [ scheduled_pipeline, << pipeline.trigger_source >> ] }
    jobs: [report]
  ci:
    unless: { equal: [ scheduled_pipeline, << pipeline.trigger_source >> ] }
    jobs: [build]
`;

interface PipelineView {
  id: number;
  trigger: string;
  state: string;
  detail: { schedule?: { name: string; slot: string }; parameters?: Record<string, unknown> };
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([
    startServicesUnderTest({ scheduleFiring: { intervalMs: 100, now: () => clock } }),
    startGitServer(),
  ]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('app');
  await git.push('app', { '.circleci/config.yml': CONFIG });
  const created = await gyre.api('/api/v1/projects', { body: { name: 'acme/app', gitUrl: git.url('app') } });
  projectId = ((await created.json()) as { id: number }).id;
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

const put = (name: string, body: unknown) =>
  gyre.api(`/api/v1/projects/${projectId}/schedules/${encodeURIComponent(name)}`, { method: 'PUT', body });

async function scheduledPipelines(): Promise<PipelineView[]> {
  const listed = (await (await gyre.api(`/api/v1/projects/${projectId}/pipelines`)).json()) as {
    items: PipelineView[];
  };
  return listed.items.filter((p) => p.trigger === 'schedule');
}

/** Moves the clock and waits until `count` scheduled pipelines exist, all planned. */
async function afterMovingTo(time: Date, count: number): Promise<PipelineView[]> {
  clock = time;
  return until(`${count} scheduled pipelines`, async () => {
    const found = await scheduledPipelines();
    return found.length === count && found.every((p) => p.state !== 'pending') ? found : undefined;
  });
}

describe('scheduled pipelines', () => {
  it('refuses a bad cron line or name, naming the input and how to write it', async () => {
    const badCron = await put('nightly', { cron: '0 3 * *' });
    expect(badCron.status).toBe(400);
    expect(await badCron.text()).toMatch(/cron.*has 4 fields; a schedule takes five/);
    const badName = await put('/etc', { cron: '0 3 * * *' });
    expect(badName.status).toBe(400);
  });

  it('fires each hourly slot once, with the schedule name and parameters, and catches up once after downtime', async () => {
    const set = await put('nightly', { cron: '0 * * * *', parameters: { target: 'prod' } });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ name: 'nightly', branch: 'main', lastSlot: null });
    const firstSlot = new Date(Math.ceil(Date.now() / HOUR) * HOUR);

    const [first] = await afterMovingTo(new Date(firstSlot.getTime() + 30_000), 1);
    expect(first!.detail).toMatchObject({
      schedule: { name: 'nightly', slot: firstSlot.toISOString() },
      parameters: { target: 'prod' },
    });
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${first!.id}/workflows`)).json()) as {
      items: { name: string }[];
    };
    expect(workflows.items.map((w) => w.name)).toEqual(['nightly']);
    const spec = await db.query<{ spec: { steps: { command?: string }[] } }>(
      'SELECT j.spec FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1',
      [first!.id],
    );
    expect(spec.rows[0]?.spec.steps[0]?.command).toBe('echo nightly prod');

    // Many more passes within the same hour fire nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await scheduledPipelines()).toHaveLength(1);

    // Three hours of downtime: one pipeline, for the latest slot.
    const latest = new Date(firstSlot.getTime() + 3 * HOUR);
    const after = await afterMovingTo(new Date(latest.getTime() + 30_000), 2);
    expect(after.map((p) => p.detail.schedule?.slot).sort()).toEqual([firstSlot.toISOString(), latest.toISOString()]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await scheduledPipelines()).toHaveLength(2);
  }, 120_000);

  it('lets one of two processes racing for a slot create its pipeline', async () => {
    const stores = [new ScheduleStore(db), new ScheduleStore(db)];
    const [schedule] = await stores[0]!.list(projectId);
    const slot = new Date(new Date(schedule!.lastSlot!).getTime() + HOUR);
    const request = {
      projectId,
      trigger: 'schedule' as const,
      ref: 'refs/heads/main',
      branch: 'main',
      sha: 'a'.repeat(40),
      detail: {},
    };
    const results = await Promise.all(stores.map((store) => store.fire(schedule!.id, slot, request)));
    expect(results.filter((r) => r?.pipeline !== undefined)).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
  });

  it('lists, changes and deletes schedules, auditing each change', async () => {
    const changed = await put('nightly', { cron: '30 2 * * 1-5', branch: 'release' });
    expect(await changed.json()).toMatchObject({ cron: '30 2 * * 1-5', branch: 'release', parameters: {} });
    const listed = (await (await gyre.api(`/api/v1/projects/${projectId}/schedules`)).json()) as {
      items: { name: string }[];
    };
    expect(listed.items.map((s) => s.name)).toEqual(['nightly']);
    const remove = () => gyre.api(`/api/v1/projects/${projectId}/schedules/nightly`, { method: 'DELETE' });
    expect((await remove()).status).toBe(204);
    expect((await remove()).status).toBe(404);
    const audit = await db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE action LIKE 'schedule.%' ORDER BY id",
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['schedule.create', 'schedule.update', 'schedule.delete']);
  });

  it("keeps a config's legacy triggers for the branch pushed, fires only that workflow, and drops them with the config", async () => {
    const legacy = `version: 2
jobs:
  build:
    docker: [{ image: node:24 }]
    steps: [{ run: make }]
  coverage:
    docker: [{ image: node:24 }]
    steps: [{ run: make coverage }]
workflows:
  version: 2
  commit:
    jobs: [build]
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
          filters: { branches: { only: main } }
    jobs: [coverage]
`;
    const pushAndPlan = async (config: string) => {
      await git.push('app', { '.circleci/config.yml': config });
      const { id } = (await (await gyre.api(`/api/v1/projects/${projectId}/pipelines`, { body: {} })).json()) as {
        id: number;
      };
      await until(`pipeline ${id} planned`, async () => {
        const found = (await (await gyre.api(`/api/v1/pipelines/${id}`)).json()) as PipelineView;
        return found.state !== 'pending' ? found : undefined;
      });
      const workflows = (await (await gyre.api(`/api/v1/pipelines/${id}/workflows`)).json()) as {
        items: { name: string }[];
      };
      const listed = (await (await gyre.api(`/api/v1/projects/${projectId}/schedules`)).json()) as {
        items: { name: string; cron: string; branch: string; workflow: string | null }[];
      };
      return { workflows: workflows.items.map((w) => w.name), schedules: listed.items };
    };

    // A push runs the commit workflow only, and keeps the nightly trigger for main.
    expect(await pushAndPlan(legacy)).toEqual({
      workflows: ['commit'],
      schedules: [
        expect.objectContaining({ name: 'nightly (main)', cron: '0 0 * * *', branch: 'main', workflow: 'nightly' }),
      ],
    });
    const DAY = 24 * HOUR;
    const midnight = new Date(Math.ceil(Math.max(Date.now(), clock.getTime()) / DAY) * DAY);
    clock = new Date(midnight.getTime() + 30_000);
    const fired = await until('the nightly trigger to fire', async () => {
      const found = (await scheduledPipelines()).filter(
        (p) =>
          (p.detail.schedule as { workflow?: string } | undefined)?.workflow === 'nightly' && p.state !== 'pending',
      );
      return found.length > 0 ? found : undefined;
    });
    expect(fired).toHaveLength(1);
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${fired[0]!.id}/workflows`)).json()) as {
      items: { name: string }[];
    };
    expect(workflows.items.map((w) => w.name)).toEqual(['nightly']);

    // The config without triggers removes the schedule.
    expect(await pushAndPlan(CONFIG)).toMatchObject({ schedules: [] });
  }, 120_000);
});
