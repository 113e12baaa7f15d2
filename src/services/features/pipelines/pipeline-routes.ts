/**
 * `/api/v1/.../pipelines`, workflows and jobs: list, get, trigger a pipeline on a branch, cancel and
 * rerun; cancel a job, approve an approval job.
 */
import {
  cancelResponse,
  rerunResponse,
  itemsOf,
  jobDetailResponse,
  jobSummaryResponse,
  pageOf,
  pipelineResponse,
  workflowResponse,
} from '../../../api/responses.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Requester } from '../../core/pipelines/pipeline-model.js';
import {
  idParams,
  pipelineListQuery,
  rerunJobBody,
  triggerBody,
  type RerunJobRequest,
  type TriggerRequest,
} from '../../../api/requests.js';
import { paginate } from '../../http/paginate.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { PipelinePlanner } from './pipeline-planner.js';
import type { JobStore } from '../../stores/jobs/job-store.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import { rerunPipeline } from './rerun-pipeline.js';
import { requesterContexts, rerunInWorkflow, type RerunDeps } from './rerun-in-workflow.js';
import { triggerPipeline, type BranchResolver } from './trigger-pipeline.js';
import { projectRole } from '../../http/access-policy.js';
import type { SshReruns } from '../ssh/ssh-reruns.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';

export interface PipelineRouteDeps extends RerunDeps {
  readonly pipelines: PipelineStore;
  readonly jobs: JobStore;
  readonly projects: ProjectStore;
  readonly credentials: GitCredentialStore;
  readonly planner: PipelinePlanner;
  readonly branches: BranchResolver;
  readonly sshReruns: Pick<SshReruns, 'requesterFor'>;
}

export function registerPipelineRoutes(app: FastifyInstance, deps: PipelineRouteDeps): void {
  app.get<{ Params: { id: number }; Querystring: { limit: number; before?: number; branch?: string } }>(
    '/api/v1/projects/:id/pipelines',
    {
      config: projectRole('viewer', 'project'),
      schema: {
        tags: ['pipelines'],
        summary: "List a project's pipelines, newest first, optionally of one branch",
        params: idParams,
        querystring: pipelineListQuery,
        response: { 200: pageOf(pipelineResponse) },
      },
    },
    async (request) => {
      await deps.projects.get(request.params.id);
      return paginate(request.query.limit, (limit) =>
        deps.pipelines.list(request.params.id, { ...request.query, limit }),
      );
    },
  );

  app.post<{ Params: { id: number }; Body: TriggerRequest }>(
    '/api/v1/projects/:id/pipelines',
    {
      config: projectRole('member', 'project'),
      schema: {
        tags: ['pipelines'],
        summary: "Trigger a pipeline on a branch (default: the project's default branch), with pipeline parameters",
        params: idParams,
        body: triggerBody,
        response: { 201: pipelineResponse },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await triggerPipeline(deps, request.params.id, request.body ?? {}, requesterOf(request), 'request body')),
  );

  app.get<{ Params: { id: number } }>(
    '/api/v1/pipelines/:id',
    {
      config: projectRole('viewer', 'pipeline'),
      schema: { tags: ['pipelines'], summary: 'Get a pipeline', params: idParams, response: { 200: pipelineResponse } },
    },
    (request) => deps.pipelines.get(request.params.id),
  );
  app.post<{ Params: { id: number } }>(
    '/api/v1/pipelines/:id/cancel',
    {
      config: projectRole('member', 'pipeline'),
      schema: {
        tags: ['pipelines'],
        summary: 'Cancel a pipeline: queued jobs end, running ones are signalled to stop',
        params: idParams,
        response: { 200: cancelResponse },
      },
    },
    (request) => deps.pipelines.cancel(request.params.id, deciderOf(request)),
  );
  app.post<{ Params: { id: number } }>(
    '/api/v1/pipelines/:id/rerun',
    {
      config: projectRole('member', 'pipeline'),
      schema: {
        tags: ['pipelines'],
        summary: 'Rerun a pipeline: a new pipeline for the same commit and ref, planned again from its config',
        params: idParams,
        response: { 201: pipelineResponse },
      },
    },
    async (request, reply) => reply.code(201).send(await rerunPipeline(deps, request.params.id, requesterOf(request))),
  );
  app.get<{ Params: { id: number } }>(
    '/api/v1/pipelines/:id/workflows',
    {
      config: projectRole('viewer', 'pipeline'),
      schema: {
        tags: ['pipelines'],
        summary: "List a pipeline's workflows with their jobs",
        params: idParams,
        response: { 200: itemsOf(workflowResponse) },
      },
    },
    async (request) => ({
      items: await deps.pipelines.workflows(request.params.id),
    }),
  );
  app.get<{ Params: { id: number } }>(
    '/api/v1/workflows/:id/jobs',
    {
      config: projectRole('viewer', 'workflow'),
      schema: {
        tags: ['pipelines'],
        summary: "List a workflow's jobs",
        params: idParams,
        response: { 200: itemsOf(jobSummaryResponse) },
      },
    },
    async (request) => ({
      items: await deps.pipelines.jobsOfWorkflow(request.params.id),
    }),
  );
  app.post<{ Params: { id: number } }>(
    '/api/v1/workflows/:id/rerun-failed',
    {
      config: projectRole('member', 'workflow'),
      schema: {
        tags: ['pipelines'],
        summary:
          "Rerun an ended workflow from failed: its failed, canceled and refused jobs and the jobs after them run again in it; jobs that succeeded keep their result. 409 while it runs or when nothing failed; 403 when the contexts of a job to rerun are not the caller's to use, or it needs Docker in a fork's build without secrets",
        params: idParams,
        response: { 200: rerunResponse },
      },
    },
    (request) =>
      rerunInWorkflow(
        deps,
        { kind: 'failed', workflowId: request.params.id },
        requesterOf(request),
        deciderOf(request),
      ),
  );
  app.get<{ Params: { id: number } }>(
    '/api/v1/jobs/:id',
    {
      config: projectRole('viewer', 'job'),
      schema: {
        tags: ['pipelines'],
        summary: 'Get a job with its resolved spec',
        params: idParams,
        response: { 200: jobDetailResponse },
      },
    },
    (request) => deps.jobs.detail(request.params.id),
  );
  app.post<{ Params: { id: number } }>(
    '/api/v1/jobs/:id/approve',
    {
      config: projectRole('member', 'job'),
      schema: {
        tags: ['pipelines'],
        summary:
          'Approve an approval job (`type: approval`) on hold: it succeeds and the jobs requiring it run; 409 for any other job; 403 `context_refused` when it names a context the caller may not use',
        params: idParams,
        response: { 200: jobDetailResponse },
      },
    },
    async (request) => {
      await deps.jobs.approve(request.params.id, deciderOf(request), requesterContexts(deps, requesterOf(request)));
      return deps.jobs.detail(request.params.id);
    },
  );
  app.post<{ Params: { id: number }; Body: RerunJobRequest }>(
    '/api/v1/jobs/:id/rerun',
    {
      config: projectRole('member', 'job'),
      schema: {
        tags: ['pipelines'],
        summary:
          'Rerun one job of an ended workflow (all its parallel nodes) and the jobs after it that did not succeed, in the same workflow; its earlier attempts stay. 409 while the workflow runs. With `ssh`: 403 `ssh_needs_account` for a token of no account, 409 `no_ssh_keys` when your account has no key to connect with, 409 `ssh_not_for_approval` for an approval job',
        params: idParams,
        body: rerunJobBody,
        response: { 200: rerunResponse },
      },
    },
    async (request) => {
      const requester = requesterOf(request);
      const sshFor = request.body?.ssh === true ? await deps.sshReruns.requesterFor(requester) : undefined;
      return rerunInWorkflow(
        deps,
        { kind: 'job', jobId: request.params.id, ...(sshFor !== undefined && { sshFor }) },
        requester,
        deciderOf(request),
      );
    },
  );
  app.post<{ Params: { id: number } }>(
    '/api/v1/jobs/:id/cancel',
    {
      config: projectRole('member', 'job'),
      schema: {
        tags: ['pipelines'],
        summary:
          'Cancel a job: queued, blocked or on-hold (approval) jobs end at once, a running one is signalled to stop',
        params: idParams,
        response: { 200: cancelResponse },
      },
    },
    (request) => deps.jobs.cancel({ jobId: request.params.id }, deciderOf(request)),
  );
}

/** The token's account asked for it; a token made on the services box has none, and is named by its name. */
function requesterOf(request: FastifyRequest): Requester {
  const identity = request.identity;
  return { name: identity?.login ?? identity?.name ?? null, userId: identity?.userId ?? null };
}

/** Who decides through a token: its account, as the web UI names it, or the token itself. */
function deciderOf(request: FastifyRequest): string {
  const login = request.identity?.login;
  return login ? `user:${login}` : tokenActorOf(request);
}
