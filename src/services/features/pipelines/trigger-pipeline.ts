/**
 * A pipeline triggered by a person on a branch (web UI or API): the branch's head commit, planned
 * from its config. Both front doors start it here, so their checks cannot drift apart.
 */
import { InvalidInputError } from '../../../shared/errors.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { PipelinePlanner } from './pipeline-planner.js';
import { requesterDetail, type PipelineSummary, type Requester } from '../../core/pipelines/pipeline-model.js';
import type { BranchResolver } from './pipeline-routes.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';

export interface TriggerDeps {
  readonly projects: ProjectStore;
  readonly credentials: Pick<GitCredentialStore, 'accessOf'>;
  readonly pipelines: PipelineStore;
  readonly planner: PipelinePlanner;
  readonly branches: BranchResolver;
}

/** `source` names the input in errors ("request body", "trigger form"); `branch` defaults to the project's default branch. */
export async function triggerPipeline(
  deps: TriggerDeps,
  projectId: number,
  branch: string | undefined,
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
    detail: requesterDetail(requester),
  });
  deps.planner.schedule(pipeline.id);
  return pipeline;
}
