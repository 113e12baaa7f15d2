/**
 * A pipeline in the user UI: its workflows, each drawn as columns of jobs by dependency depth,
 * a small JSON status the page polls for live states, cancel, rerun of the pipeline and rerun
 * of a workflow from failed.
 */
import { isFinalJobState } from '../../../../protocol/index.js';
import { ROUTINE } from '../../../http/request-log.js';
import { rerunPipeline } from '../../pipelines/rerun-pipeline.js';
import { rerunInWorkflow } from '../../pipelines/rerun-in-workflow.js';
import { checkCsrf } from '../../../http/session-auth.js';
import { DATA_ROUTE, projectRole } from '../../../http/access-policy.js';
import type { UserPages } from '../user-ui.js';
import { sendPage } from '../../../http/web-scope.js';
import { layoutByDepth } from './job-graph.js';
import { parameterLines } from './parameter-lines.js';
import {
  idParams,
  jobLabel,
  pageModel,
  requesterOfPage,
  shortSha,
  userActorOf,
  type IdRequest,
} from './page-common.js';

export const pipelinePages: UserPages = (web, parts) => {
  web.get<IdRequest>(
    '/pipelines/:id',
    { config: projectRole('viewer', 'pipeline'), schema: { params: idParams } },
    async (request, reply) => {
      const pipeline = await parts.pipelines.get(request.params.id);
      const [project, workflows] = await Promise.all([
        parts.projects.get(pipeline.projectId),
        parts.pipelines.workflows(pipeline.id),
      ]);
      return sendPage(
        reply,
        parts,
        'pipeline',
        pageModel(request, `${project.name} #${pipeline.number}`, {
          project,
          pipeline: { ...pipeline, shortSha: shortSha(pipeline.sha) },
          parameters: parameterLines((pipeline.detail as { parameters?: Record<string, unknown> }).parameters ?? {}),
          workflows: workflows.map((w) => ({
            ...w,
            columns: layoutByDepth(w.jobs.map((j) => ({ ...j, label: jobLabel(j) }))),
            onHold: w.jobs.filter((j) => j.state === 'on_hold'),
            // "Rerun from failed" reruns the failed, canceled and refused jobs of an ended workflow.
            rerunnable: w.state === 'failed' || w.state === 'canceled',
          })),
          csrf: request.signedIn?.session.csrfToken,
        }),
      );
    },
  );

  web.get<IdRequest>(
    '/pipelines/:id/status.json',
    { config: { ...projectRole('viewer', 'pipeline'), ...ROUTINE, ...DATA_ROUTE }, schema: { params: idParams } },
    async (request, reply) => {
      const pipeline = await parts.pipelines.get(request.params.id);
      const workflows = await parts.pipelines.workflows(pipeline.id);
      const jobs = workflows.flatMap((w) => w.jobs.map((j) => ({ id: j.id, state: j.state })));
      void reply.header('cache-control', 'no-store');
      return {
        state: pipeline.state,
        workflows: workflows.map((w) => ({ id: w.id, state: w.state })),
        jobs,
        // Pending pipelines have no jobs yet but will; the page keeps polling until it has its graph.
        settled: pipeline.state !== 'pending' && jobs.every((j) => isFinalJobState(j.state)),
      };
    },
  );

  web.post<IdRequest>(
    '/pipelines/:id/cancel',
    { config: projectRole('member', 'pipeline'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      await parts.pipelines.cancel(request.params.id, userActorOf(request));
      return reply.redirect(`/pipelines/${request.params.id}`, 303);
    },
  );

  web.post<IdRequest>(
    '/workflows/:id/rerun-failed',
    { config: projectRole('member', 'workflow'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      const rerun = await rerunInWorkflow(
        parts,
        { kind: 'failed', workflowId: request.params.id },
        requesterOfPage(request),
        userActorOf(request),
      );
      return reply.redirect(`/pipelines/${rerun.pipelineId}`, 303);
    },
  );

  web.post<IdRequest>(
    '/pipelines/:id/rerun',
    { config: projectRole('member', 'pipeline'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      const rerun = await rerunPipeline(parts, request.params.id, requesterOfPage(request));
      return reply.redirect(`/pipelines/${rerun.id}`, 303);
    },
  );
};
