/**
 * Reruns inside an ended workflow, for the API and the web UI: "from failed" and one job. The jobs
 * run again in their workflow (the pipelines store reopens it); the person rerunning must be
 * allowed the contexts of every job that runs again, as they would be for a pipeline they start,
 * and the person approving an approval job the contexts it names (requesterContexts).
 */
import { actorOfPipeline } from '../../core/access/context-access.js';
import { withholdsSecrets } from '../../core/access/fork-secrets.js';
import { requesterDetail, type Requester } from '../../core/pipelines/pipeline-model.js';
import type { RerunSelection } from '../../core/pipelines/rerun-selection.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';
import type { ContextAuthorizer } from '../../stores/jobs/job-store.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import { checkContexts } from '../contexts/check-contexts.js';

export interface RerunDeps {
  readonly pipelines: PipelineStore;
  readonly projects: ProjectStore;
  readonly contexts: Pick<ContextStore, 'facts'>;
}

/**
 * Whether `requester` may use contexts for a pipeline's jobs: as for a pipeline they start
 * (the project may use them, their account may, and a fork's build gets none unless allowed).
 */
export function requesterContexts(deps: RerunDeps, requester: Requester): ContextAuthorizer {
  return async (contexts, pipelineId) => {
    const pipeline = await deps.pipelines.get(pipelineId);
    const project = await deps.projects.get(pipeline.projectId);
    return checkContexts(deps.contexts, contexts, {
      projectId: project.id,
      projectName: project.name,
      actor: actorOfPipeline(requesterDetail(requester)),
      secretsWithheld: withholdsSecrets(
        { ref: pipeline.ref, pullRequest: pipeline.detail['pullRequest'] as { fromFork?: boolean } | undefined },
        project.passSecretsToForks,
      ),
    });
  };
}

/**
 * Reruns what `selection` picks, as `requester` (the account whose contexts count) and `actor`
 * (as the audit log and the jobs' message name them). Returns the workflow and the jobs chosen.
 */
export function rerunInWorkflow(deps: RerunDeps, selection: RerunSelection, requester: Requester, actor: string) {
  return deps.pipelines.rerunWorkflow(selection, actor, requesterContexts(deps, requester));
}
