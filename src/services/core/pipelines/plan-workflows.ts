/**
 * From config text to the workflows and jobs a pipeline runs: parse with the pipeline's
 * `<< pipeline.* >>` values, and pick what runs for the ref. Pure, so it is tested without a
 * database or git.
 */
import {
  parsePipelineConfig,
  matchesRef,
  selectJobsForRef,
  type GitRef,
  type OrbLibrary,
  RegexTimeoutError,
  withRegexBudget,
  type PipelineArguments,
  type PipelineConfig,
  type PipelineValues,
  type ResourceClassTable,
} from '../pipeline-config/index.js';
import type { ConfigProblem, NewWorkflow, PipelineError, PipelineSummary } from './pipeline-model.js';

export const CONFIG_PATH = '.circleci/config.yml';

/** A legacy `triggers:` schedule of a workflow that runs on the pipeline's branch. */
export interface ConfigSchedule {
  readonly workflow: string;
  readonly cron: string;
}

/**
 * What to run, or why nothing runs; either way what the config says that Gyre ignores. A plan
 * also lists the config's legacy schedules for the pipeline's branch, which the planner keeps.
 */
export type WorkflowPlan = { readonly warnings: readonly ConfigProblem[] } & (
  SelectedWorkflows | { readonly ok: false; readonly error: PipelineError }
);

/** What runs for a pipeline's ref. */
interface SelectedWorkflows {
  readonly ok: true;
  readonly workflows: readonly NewWorkflow[];
  readonly configSchedules: readonly ConfigSchedule[];
}

/** What the installation gives every plan: its resource classes and the orbs the config names. */
export interface PlanSettings {
  readonly resourceClasses: ResourceClassTable;
  /** From the orb store (orb-library.ts). @default none */
  readonly orbs?: OrbLibrary;
}

/** Plans a pipeline; the config's regular expressions share one time budget (bounded-regex.ts). */
export function planWorkflows(
  configText: string,
  pipeline: PipelineSummary,
  gitUrl: string,
  settings: PlanSettings,
): WorkflowPlan {
  return withRegexBudget(() => plan(configText, pipeline, gitUrl, settings));
}

function plan(
  configText: string,
  pipeline: PipelineSummary,
  gitUrl: string,
  { resourceClasses, orbs }: PlanSettings,
): WorkflowPlan {
  const parsed = parsePipelineConfig(configText, {
    resourceClasses,
    ...(orbs && { orbs }),
    pipelineValues: pipelineValues(pipeline, gitUrl),
    pipelineArguments: pipelineArgumentsOf(pipeline),
  });
  const warnings = parsed.warnings.map(toProblem);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    const where = first ? ` (first at line ${first.line}, column ${first.column}: ${first.message})` : '';
    const message = `${CONFIG_PATH} has ${parsed.errors.length} error${parsed.errors.length === 1 ? '' : 's'}${where}`;
    return { ok: false, error: { kind: 'config', message, errors: parsed.errors.map(toProblem) }, warnings };
  }
  try {
    return { ...selectFor(parsed.config, pipeline), warnings };
  } catch (error) {
    // A filter's regex from the config (a fork's, maybe) that ran out of time: a config error, not a hang.
    if (!(error instanceof RegexTimeoutError)) throw error;
    return { ok: false, error: { kind: 'config', message: `${CONFIG_PATH}: ${error.message}`, errors: [] }, warnings };
  }
}

/** The workflows and jobs that run for the pipeline's ref, and the config's schedules for its branch. */
function selectFor(config: PipelineConfig, pipeline: PipelineSummary): SelectedWorkflows {
  const ref = refOf(pipeline);
  // A workflow with legacy triggers runs only when its own schedule fires it, never on a push.
  const firedWorkflow = scheduleOf(pipeline)?.workflow;
  const runnable = config.workflows.filter((w) =>
    firedWorkflow === undefined ? w.schedules === undefined : w.name === firedWorkflow,
  );
  const configSchedules = config.workflows.flatMap((w) =>
    (w.schedules ?? [])
      .filter((s) => ref.kind === 'branch' && matchesRef({ branches: s.branches }, ref))
      .map((s) => ({ workflow: w.name, cron: s.cron })),
  );
  const workflows = selectJobsForRef({ ...config, workflows: runnable }, ref).map((workflow) => ({
    name: workflow.name,
    jobs: workflow.jobs.map((job) => ({
      name: job.name,
      requires: job.requires,
      contexts: job.contexts,
      ...('job' in job
        ? {
            type: 'build' as const,
            spec: job.job,
            cpus: job.job.resourceClass.cpus,
            memoryBytes: job.job.resourceClass.memoryMiB * 1024 * 1024,
            nodes: job.job.parallelism ?? 1,
          }
        : { type: 'approval' as const, spec: null, cpus: 0, memoryBytes: 0, nodes: 1 }),
    })),
  }));
  return { ok: true, workflows, configSchedules };
}

/** The parser's report as stored with the pipeline: exactly its fields. */
function toProblem({ line, column, path, message, orb }: ConfigProblem): ConfigProblem {
  return { line, column, path, message, ...(orb !== undefined && { orb }) };
}

/** Pull requests build their head branch, so branch filters apply to it as CircleCI does. */
function refOf(pipeline: PipelineSummary): GitRef {
  return pipeline.tag !== null ? { kind: 'tag', name: pipeline.tag } : { kind: 'branch', name: pipeline.branch ?? '' };
}

function pipelineValues(pipeline: PipelineSummary, gitUrl: string): PipelineValues {
  return {
    'pipeline.id': String(pipeline.id),
    'pipeline.number': pipeline.number,
    'pipeline.project.git_url': gitUrl,
    'pipeline.project.type': 'github',
    'pipeline.git.revision': pipeline.sha,
    'pipeline.git.base_revision': baseRevisionOf(pipeline),
    'pipeline.git.branch': pipeline.branch ?? '',
    'pipeline.git.tag': pipeline.tag ?? '',
    'pipeline.trigger_source': TRIGGER_SOURCES[pipeline.trigger],
    'pipeline.schedule.name': scheduleOf(pipeline)?.name ?? '',
    'pipeline.schedule.id': scheduleOf(pipeline)?.id ?? '',
  };
}

/** CircleCI's `pipeline.trigger_source` for each way a pipeline starts. */
const TRIGGER_SOURCES: Readonly<Record<PipelineSummary['trigger'], string>> = {
  push: 'webhook',
  pull_request: 'webhook',
  api: 'api',
  schedule: 'scheduled_pipeline',
};

/** The schedule that fired the pipeline, as its detail names it; `workflow` for a config's legacy trigger. */
function scheduleOf(pipeline: PipelineSummary): { name: string; id: string; workflow?: string } | undefined {
  const { schedule } = pipeline.detail as { schedule?: { name?: unknown; id?: unknown; workflow?: unknown } };
  if (typeof schedule?.name !== 'string') return undefined;
  return {
    name: schedule.name,
    id: String(schedule.id),
    ...(typeof schedule.workflow === 'string' && { workflow: schedule.workflow }),
  };
}

/** The pipeline parameters its trigger set (`POST /api/v1/projects/:id/pipelines`, the trigger form). */
function pipelineArgumentsOf(pipeline: PipelineSummary): PipelineArguments {
  const { parameters } = pipeline.detail as { parameters?: Record<string, unknown> };
  // Written only by the trigger, checked there; kept to scalars here all the same.
  return Object.fromEntries(
    Object.entries(parameters ?? {}).filter((entry): entry is [string, string | number | boolean] =>
      ['string', 'number', 'boolean'].includes(typeof entry[1]),
    ),
  );
}

/**
 * CircleCI's "SHA of the build prior to the one being built": for a push, the commit its branch
 * pointed at before (none for a new branch); for a pull request, its base commit; none for a
 * pipeline triggered through the API. None is the empty string.
 */
function baseRevisionOf(pipeline: PipelineSummary): string {
  const { before, pullRequest } = pipeline.detail as { before?: unknown; pullRequest?: { baseSha?: unknown } };
  const sha = pipeline.trigger === 'pull_request' ? pullRequest?.baseSha : before;
  return typeof sha === 'string' ? sha : '';
}
