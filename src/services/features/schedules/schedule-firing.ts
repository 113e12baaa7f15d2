/**
 * Fires project schedules: on a timer, each schedule whose latest cron slot (UTC) has come and
 * not yet fired gets a pipeline on its branch's head, with its parameters, as CircleCI's
 * scheduled pipelines do (`pipeline.trigger_source` is `scheduled_pipeline`, and
 * `pipeline.schedule.name` names it). The slot is claimed in the transaction that creates the
 * pipeline, so each slot fires once however many services processes run this loop. After
 * downtime a schedule catches up with one pipeline, for its latest missed slot, not a burst.
 */
import type { Logger } from 'pino';
import { requesterDetail } from '../../core/pipelines/pipeline-model.js';
import { latestSlot } from '../../../shared/cron-slots.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';
import type { Schedule, ScheduleStore } from '../../stores/schedules/schedule-store.js';
import type { PipelinePlanner } from '../pipelines/pipeline-planner.js';
import type { BranchResolver } from '../pipelines/trigger-pipeline.js';
import { repeatPasses, type RepeatedPasses } from '../../../shared/repeat-passes.js';

export interface ScheduleFiringDeps {
  readonly schedules: Pick<ScheduleStore, 'all' | 'fire'>;
  readonly projects: Pick<ProjectStore, 'get'>;
  readonly credentials: Pick<GitCredentialStore, 'accessOf'>;
  readonly branches: BranchResolver;
  readonly planner: Pick<PipelinePlanner, 'schedule'>;
  readonly logger: Logger;
}

/** One pass over every schedule at `now`; resolves to the ids of the pipelines it created. */
export async function fireDueSchedules(deps: ScheduleFiringDeps, now: Date): Promise<number[]> {
  const created: number[] = [];
  for (const schedule of await deps.schedules.all()) {
    const slot = latestSlot(schedule.cron, new Date(schedule.lastSlot ?? schedule.createdAt), now);
    if (slot === undefined) continue;
    const log = deps.logger.child({ projectId: schedule.projectId, schedule: schedule.name, slot: slot.toISOString() });
    try {
      const id = await fireSlot(deps, schedule, slot, log);
      if (id !== undefined) created.push(id);
    } catch (error) {
      // The slot stays unclaimed, so the next pass tries again while it is still the latest.
      log.error({ err: error }, 'could not fire the schedule; the next pass tries again');
    }
  }
  return created;
}

async function fireSlot(deps: ScheduleFiringDeps, schedule: Schedule, slot: Date, log: Logger) {
  const project = await deps.projects.get(schedule.projectId);
  const sha = await deps.branches.resolveBranch(await deps.credentials.accessOf(project), schedule.branch);
  if (sha === undefined) {
    // Passed over, not retried each pass: the branch may come back by the next slot.
    if (await deps.schedules.fire(schedule.id, slot, undefined))
      log.warn({ branch: schedule.branch }, "the schedule's branch does not exist; this slot is passed over");
    return undefined;
  }
  const fired = await deps.schedules.fire(schedule.id, slot, {
    projectId: schedule.projectId,
    trigger: 'schedule',
    ref: `refs/heads/${schedule.branch}`,
    branch: schedule.branch,
    sha,
    detail: {
      ...requesterDetail({ name: `schedule "${schedule.name}"`, userId: null }),
      schedule: {
        id: schedule.id,
        name: schedule.name,
        slot: slot.toISOString(),
        ...(schedule.workflow !== null && { workflow: schedule.workflow }),
      },
      ...(Object.keys(schedule.parameters).length > 0 && { parameters: schedule.parameters }),
    },
  });
  const pipeline = fired?.pipeline;
  if (pipeline === undefined) return undefined; // another process fired this slot
  log.info({ pipelineId: pipeline.id, number: pipeline.number }, 'schedule fired');
  deps.planner.schedule(pipeline.id);
  return pipeline.id;
}

export interface ScheduleFiringOptions {
  /** @default 30000: a slot fires within half a minute */
  readonly intervalMs?: number;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Runs {@link fireDueSchedules} every `intervalMs`. */
export function startScheduleFiring(deps: ScheduleFiringDeps, options: ScheduleFiringOptions = {}): RepeatedPasses {
  const now = options.now ?? (() => new Date());
  return repeatPasses(
    () => fireDueSchedules(deps, now()),
    (error) => deps.logger.error({ err: error }, 'firing schedules failed; the next pass tries again'),
    { intervalMs: options.intervalMs ?? 30_000 },
  );
}
