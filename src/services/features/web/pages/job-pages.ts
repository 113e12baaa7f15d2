/**
 * A job in the user UI: its attempts with their steps (status, exit code, duration), its log
 * (stored text, then live over SSE with JavaScript), why it waits when queued, and cancel and
 * rerun (the job again in its ended workflow, with SSH or without, or the whole pipeline); for
 * a rerun with SSH, the `ssh` line, the builder's host key and how long the job waits; the tests it stored
 * (job-tests.ts); for an approval job, approve and cancel.
 */
import { isFinalJobState } from '../../../../protocol/index.js';
import { readWaitReason } from '../../../stores/jobs/queue-view.js';
import { checkCsrf } from '../../../http/session-auth.js';
import { projectRole } from '../../../http/access-policy.js';
import { readArtifactsSection } from './job-artifacts.js';
import type { UserPages } from '../user-ui.js';
import { sendPage } from '../../../http/web-scope.js';
import { readLogPreview } from './job-log-routes.js';
import { readTestsSection } from './job-tests.js';
import {
  idParams,
  jobLabel,
  pageModel,
  requesterOfPage,
  shortSha,
  userActorOf,
  type IdRequest,
} from './page-common.js';
import { requesterContexts, rerunInWorkflow } from '../../pipelines/rerun-in-workflow.js';

/** States before a job has a log; its page reloads when the job leaves them, to start the log. */
const NOT_STARTED = ['queued', 'blocked', 'on_hold'];

export const jobPages: UserPages = (web, parts) => {
  web.get<IdRequest>(
    '/jobs/:id',
    { config: projectRole('viewer', 'job'), schema: { params: idParams } },
    async (request, reply) => {
      const job = await parts.jobs.detail(request.params.id);
      const workflow = await parts.pipelines.workflow(job.workflowId);
      const pipeline = await parts.pipelines.get(workflow.pipelineId);
      const project = await parts.projects.get(pipeline.projectId);
      const artifacts = await readArtifactsSection(parts.artifacts, job.id);
      const waitingBecause =
        job.state === 'queued' ? await readWaitReason(parts.db, await parts.builders.list(), job.id) : undefined;
      const log = job.attempt > 0 ? await readLogPreview(parts.logs, job.id, job.attempt) : undefined;
      const tests = await readTestsSection(parts.testResults, job.id);
      return sendPage(
        reply,
        parts,
        'job',
        pageModel(request, `${jobLabel(job)} · ${project.name} #${pipeline.number}`, {
          job: { ...job, label: jobLabel(job) },
          // Newest first: the attempt that matters is the one running or last run.
          attempts: [...job.attempts].reverse(),
          workflow,
          artifacts,
          // The artifacts are of an earlier attempt than the one shown first: say so.
          artifactsOfEarlierAttempt: artifacts !== undefined && artifacts.attempt !== job.attempt,
          pipeline: { ...pipeline, shortSha: shortSha(pipeline.sha) },
          project,
          waitingBecause,
          log,
          tests,
          // The results are of an earlier attempt than the one shown first: say so.
          testsOfEarlierAttempt: tests !== undefined && tests.attempt !== job.attempt,
          notStarted: NOT_STARTED.includes(job.state),
          approval: job.type === 'approval',
          finished: isFinalJobState(job.state),
          // A job reruns in its workflow once the workflow has ended (rerun-in-workflow.ts).
          rerunnable: workflow.state !== 'running',
          csrf: request.signedIn?.session.csrfToken,
        }),
      );
    },
  );

  web.post<IdRequest>(
    '/jobs/:id/cancel',
    { config: projectRole('member', 'job'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      await parts.jobs.cancel({ jobId: request.params.id }, userActorOf(request));
      return reply.redirect(`/jobs/${request.params.id}`, 303);
    },
  );

  web.post<IdRequest>(
    '/jobs/:id/rerun',
    { config: projectRole('member', 'job'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      await rerunInWorkflow(
        parts,
        { kind: 'job', jobId: request.params.id },
        requesterOfPage(request),
        userActorOf(request),
      );
      return reply.redirect(`/jobs/${request.params.id}`, 303);
    },
  );

  web.post<IdRequest>(
    '/jobs/:id/rerun-with-ssh',
    { config: projectRole('member', 'job'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      const requester = requesterOfPage(request);
      const sshFor = await parts.sshReruns.requesterFor(requester);
      await rerunInWorkflow(parts, { kind: 'job', jobId: request.params.id, sshFor }, requester, userActorOf(request));
      return reply.redirect(`/jobs/${request.params.id}`, 303);
    },
  );

  web.post<IdRequest>(
    '/jobs/:id/approve',
    { config: projectRole('member', 'job'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      await parts.jobs.approve(
        request.params.id,
        userActorOf(request),
        requesterContexts(parts, requesterOfPage(request)),
      );
      return reply.redirect(`/jobs/${request.params.id}`, 303);
    },
  );
};
