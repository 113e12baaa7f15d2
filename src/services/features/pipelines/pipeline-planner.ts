/**
 * Fills pending pipelines in the background: fetch the config at the pipeline's commit, plan
 * its workflows, store them. Webhook answers do not wait for git. A pipeline stays `pending`
 * until this succeeds or fails for good, so pipelines left pending by a restart are resumed.
 */
import type { Logger } from 'pino';
import { DEFAULT_RESOURCE_CLASSES, type ResourceClassTable } from '../../core/pipeline-config/index.js';
import type { Project, ProjectStore } from '../../stores/projects/project-store.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';
import type { NewJob, NewWorkflow, PipelineSummary } from '../../core/pipelines/pipeline-model.js';
import { actorOfPipeline } from '../../core/access/context-access.js';
import { withholdsSecrets } from '../../core/access/fork-secrets.js';
import { checkContexts } from '../contexts/check-contexts.js';
import { forkDockerRefusal } from '../../core/access/fork-docker.js';
import { GyreError } from '../../../shared/errors.js';
import { CONFIG_PATH, planWorkflows } from '../../core/pipelines/plan-workflows.js';
import { loadOrbLibrary, type OrbResolver } from '../../core/orbs/orb-library.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';
import type { RepositoryAccess } from '../../git/index.js';
import type { ScheduleStore } from '../../stores/schedules/schedule-store.js';

/** Where config files come from; rejects with a GyreError when the repository cannot be read. */
export interface ConfigSource {
  /** The file's text at `sha`, or undefined when the commit has no such file. */
  readFile(access: RepositoryAccess, sha: string, path: string): Promise<string | undefined>;
}

export class PipelinePlanner {
  private readonly queue = new Set<number>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly pipelines: PipelineStore,
    private readonly projects: ProjectStore,
    private readonly contexts: Pick<ContextStore, 'facts'>,
    private readonly source: ConfigSource,
    private readonly credentials: Pick<GitCredentialStore, 'accessOf'>,
    private readonly schedules: Pick<ScheduleStore, 'syncFromConfig'>,
    /** The orb store, where the orbs a config names come from. */
    private readonly orbs: OrbResolver,
    private readonly logger: Logger,
    /** The resource class table jobs are planned with. @default the built-in table */
    private readonly resourceClasses: () => Promise<ResourceClassTable> = () =>
      Promise.resolve(DEFAULT_RESOURCE_CLASSES),
  ) {}

  /** Queues a pending pipeline; returns at once. */
  schedule(pipelineId: number): void {
    this.queue.add(pipelineId);
    this.running ??= this.drainQueue().finally(() => {
      this.running = undefined;
    });
  }

  /** Queues every pipeline left pending, e.g. by a restart. */
  async resumePending(): Promise<void> {
    for (const id of await this.pipelines.pendingIds()) this.schedule(id);
  }

  /** Resolves when the queue is empty (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drainQueue(): Promise<void> {
    for (const id of this.queue) {
      this.queue.delete(id);
      await this.build(id);
    }
  }

  /** Marks each job that names a context its pipeline may not use with the reason: it is created `unauthorized`. */
  private async authorize(
    workflows: readonly NewWorkflow[],
    pipeline: PipelineSummary,
    project: Project,
  ): Promise<NewWorkflow[]> {
    const circumstances = {
      projectId: project.id,
      projectName: project.name,
      actor: actorOfPipeline(pipeline.detail),
      secretsWithheld: withholdsSecrets(
        { ref: pipeline.ref, pullRequest: pipeline.detail['pullRequest'] as { fromFork?: boolean } | undefined },
        project.passSecretsToForks,
      ),
    };
    const planned: NewWorkflow[] = [];
    for (const workflow of workflows) {
      const jobs: NewJob[] = [];
      for (const job of workflow.jobs) {
        // An approval job's contexts say who may approve it (checked then), not what a job may use.
        const refusal =
          job.type === 'approval'
            ? undefined
            : ((await checkContexts(this.contexts, job.contexts, circumstances)) ??
              forkDockerRefusal(job.spec, circumstances.secretsWithheld));
        jobs.push(refusal === undefined ? job : { ...job, refusal });
      }
      planned.push({ ...workflow, jobs });
    }
    return planned;
  }

  /**
   * The project's auto-cancel: a pushed or triggered pipeline that runs on a branch other than
   * the default one makes the branch's earlier pipelines redundant. Not a firing, a rerun (of an
   * older commit, maybe) or a pull request's (from a fork, maybe, whose branch may share the name).
   */
  private async cancelRedundant(pipeline: PipelineSummary, project: Project, log: Logger): Promise<void> {
    if (!project.autoCancelRedundant || !['push', 'api'].includes(pipeline.trigger)) return;
    if ('rerunOf' in pipeline.detail) return;
    if (pipeline.branch === null || pipeline.branch === project.defaultBranch) return;
    // The new pipeline is planned whatever happens here; a failure is this feature's alone.
    try {
      const canceled = await this.pipelines.cancelRedundant(pipeline);
      if (canceled.length > 0)
        log.info({ branch: pipeline.branch, canceled }, 'auto-canceled earlier pipelines of the branch');
    } catch (error) {
      log.error({ err: error, branch: pipeline.branch }, 'auto-cancel of earlier pipelines failed; they go on');
    }
  }

  private async build(pipelineId: number): Promise<void> {
    const log = this.logger.child({ pipelineId });
    try {
      const pipeline = await this.pipelines.get(pipelineId);
      const project = await this.projects.get(pipeline.projectId);
      const access = await this.credentials.accessOf(project);
      const text = await this.source.readFile(access, pipeline.sha, CONFIG_PATH);
      if (text === undefined) {
        await this.pipelines.fail(pipelineId, {
          kind: 'config',
          message: `no ${CONFIG_PATH} at commit ${pipeline.sha}; add one to build this project`,
          errors: [],
        });
        return;
      }
      const orbs = await loadOrbLibrary([text], this.orbs);
      const plan = planWorkflows(text, pipeline, project.gitUrl, {
        resourceClasses: await this.resourceClasses(),
        orbs,
      });
      if (plan.ok) {
        // Before the new pipeline shows as planned, so whoever sees it planned sees the earlier ones canceled.
        await this.cancelRedundant(pipeline, project, log);
        await this.pipelines.fill(pipelineId, await this.authorize(plan.workflows, pipeline, project), plan.warnings);
        // A push or a person's trigger speaks for the branch; a fork's pull request or a firing does not.
        if ((pipeline.trigger === 'push' || pipeline.trigger === 'api') && pipeline.branch !== null)
          await this.schedules.syncFromConfig(project.id, pipeline.branch, plan.configSchedules);
      } else await this.pipelines.fail(pipelineId, plan.error, plan.warnings);
      log.info(
        {
          state: plan.ok ? 'created' : 'error',
          workflows: plan.ok ? plan.workflows.length : 0,
          configWarnings: plan.warnings.length,
        },
        'pipeline planned',
      );
    } catch (error) {
      const fetchProblem = error instanceof GyreError;
      log.error({ err: error }, fetchProblem ? 'could not read the pipeline config' : 'planning the pipeline failed');
      await this.pipelines
        .fail(
          pipelineId,
          fetchProblem
            ? { kind: 'fetch', message: error.message }
            : { kind: 'internal', message: 'planning failed; the services log has the details' },
        )
        .catch((failError: unknown) =>
          log.error({ err: failError }, 'could not record the pipeline error; it stays pending until the next start'),
        );
    }
  }
}
