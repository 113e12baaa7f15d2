/**
 * A pipeline triggered by a person on a branch (web UI or API): the branch's head commit, planned
 * from its config. Both front doors start it here, so their checks cannot drift apart.
 */
import type { PipelineParameters } from '../../../api/requests.js';
import { InvalidInputError } from '../../../shared/errors.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { PipelinePlanner } from './pipeline-planner.js';
import { requesterDetail, type PipelineSummary, type Requester } from '../../core/pipelines/pipeline-model.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';
import type { RepositoryAccess } from '../../git/index.js';

/** Resolves a branch to its head commit (`git ls-remote`); undefined when there is no such branch. */
export interface BranchResolver {
  resolveBranch(access: RepositoryAccess, branch: string): Promise<string | undefined>;
}

export interface TriggerDeps {
  readonly projects: ProjectStore;
  readonly credentials: Pick<GitCredentialStore, 'accessOf'>;
  readonly pipelines: PipelineStore;
  readonly planner: PipelinePlanner;
  readonly branches: BranchResolver;
}

/** What to run: `branch` defaults to the project's default branch, `parameters` to none (the config's defaults). */
export interface TriggerOptions {
  readonly branch?: string | undefined;
  readonly parameters?: PipelineParameters | undefined;
}

/**
 * `source` names the input in errors ("request body", "trigger form"). The parameters are kept
 * with the pipeline (its detail, shown with it) and bound when its config is read: a name the
 * config does not declare, or a value of the wrong type, fails the pipeline with a config error.
 */
export async function triggerPipeline(
  deps: TriggerDeps,
  projectId: number,
  { branch, parameters }: TriggerOptions,
  requester: Requester,
  source: string,
): Promise<PipelineSummary> {
  const project = await deps.projects.get(projectId);
  const name = branch ?? project.defaultBranch;
  const sha = await deps.branches.resolveBranch(await deps.credentials.accessOf(project), name);
  if (sha === undefined)
    throw new InvalidInputError(source, [
      {
        input: 'branch',
        message: `${project.gitUrl} has no branch "${name}"`,
        hint: 'push the branch first, or name an existing one',
      },
    ]);
  const pipeline = await deps.pipelines.createPending({
    projectId: project.id,
    trigger: 'api',
    ref: `refs/heads/${name}`,
    branch: name,
    sha,
    detail: {
      ...requesterDetail(requester),
      ...(parameters && Object.keys(parameters).length > 0 && { parameters }),
    },
  });
  deps.planner.schedule(pipeline.id);
  return pipeline;
}
