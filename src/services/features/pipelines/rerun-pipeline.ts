/**
 * A rerun: a new pipeline for the same project, ref and commit, planned again from the commit's
 * config. The web UI and the API both start reruns here.
 */
import type { PipelinePlanner } from './pipeline-planner.js';
import { requesterDetail, type PipelineSummary, type Requester } from '../../core/pipelines/pipeline-model.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';

export async function rerunPipeline(
  deps: { readonly pipelines: PipelineStore; readonly planner: PipelinePlanner },
  pipelineId: number,
  requester: Requester,
): Promise<PipelineSummary> {
  const old = await deps.pipelines.get(pipelineId);
  const { repository, pullRequest, sender, parameters } = old.detail;
  const pipeline = await deps.pipelines.createPending({
    projectId: old.projectId,
    // Pipelines know no 'rerun' trigger; a rerun is a person's request, as through the API.
    trigger: 'api',
    ref: old.ref,
    ...(old.branch !== null && { branch: old.branch }),
    ...(old.tag !== null && { tag: old.tag }),
    sha: old.sha,
    // The GitHub repository a webhook named comes along, so the rerun reports its commit status
    // too; so does the pull request, so that a rerun of a fork's build is still built as one
    // (without the project's secrets). The rerun is the rerunner's: contexts follow their account.
    // Pipeline parameters come along, so the rerun runs what the first run ran.
    detail: {
      ...requesterDetail(requester),
      rerunOf: old.id,
      ...(typeof repository === 'string' && { repository }),
      ...(pullRequest !== undefined && { pullRequest, sender }),
      ...(parameters !== undefined && { parameters }),
    },
  });
  deps.planner.schedule(pipeline.id);
  return pipeline;
}
