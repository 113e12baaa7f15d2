/**
 * Projects in the user UI: add one (its webhook URL and secret shown once, to paste into
 * GitHub), and a project's pipelines, filterable by branch, with a form to trigger one for
 * members. The project's other pages are in project-*-pages.ts.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../../../shared/errors.js';
import { describeError } from '../../../http/error-shape.js';
import { triggerPipeline } from '../../pipelines/trigger-pipeline.js';
import { webhookUrlOf } from '../../projects/project-routes.js';
import { checkCsrf } from '../../../http/session-auth.js';
import { projectRole, signedInCaller, SIGNED_IN } from '../../../http/access-policy.js';
import type { UserPages } from '../user-ui.js';
import { sendPage } from '../../../http/web-scope.js';
import { idParams, pageModel, requesterOfPage, shortSha, userActorOf, type IdRequest } from './page-common.js';
import { checkProjectForm, projectOfForm, readProjectForm } from './project-form.js';
import { checkGitUrl } from '../../projects/check-git-url.js';
import { projectPageModel } from './project-page-model.js';
import { PAGE_ROLES } from './project-tabs.js';
import { readTriggerForm } from './trigger-form.js';

/** The branch filter of a project's page; other query fields are ignored. */
const branchQuery = z.object({ branch: z.string().max(255).optional() });

export const projectPages: UserPages = (web, parts) => {
  web.get('/projects/new', { config: SIGNED_IN }, async (request, reply) =>
    sendPage(reply, parts, 'project-new', pageModel(request, 'Add project', { form: { defaultBranch: 'main' } })),
  );

  web.post('/projects/new', { config: SIGNED_IN }, async (request, reply) => {
    checkCsrf(request);
    const form = readProjectForm(request.body);
    const problems = checkProjectForm(form);
    const again = (status: number, errors: readonly string[]) =>
      sendPage(reply.code(status), parts, 'project-new', pageModel(request, 'Add project', { form, errors }));
    if (problems.length > 0) return again(400, problems);
    try {
      await checkGitUrl(parts.hostPolicy, form.gitUrl, 'the project form', 'Git URL');
      const { project, webhookSecret } = await parts.projects.create(
        projectOfForm(form),
        signedInCaller(request),
        userActorOf(request),
      );
      return sendPage(
        reply.code(201),
        parts,
        'project-created',
        pageModel(request, `Added ${project.name}`, {
          project,
          webhookUrl: webhookUrlOf(await parts.webhookBaseUrl(), project),
          webhookSecret,
        }),
      );
    } catch (error) {
      // A taken name or a refused git URL is the user's to fix: show the form again with what they typed.
      if (error instanceof InvalidInputError)
        return again(
          400,
          error.problems.map((p) => p.message),
        );
      const [status, body] = describeError(error as Error);
      if (status !== 409) throw error;
      return again(status, [body.error.message]);
    }
  });

  web.get<IdRequest & { Querystring: { branch?: string } }>(
    '/projects/:id',
    { config: projectRole(PAGE_ROLES.pipelines, 'project'), schema: { params: idParams, querystring: branchQuery } },
    async (request, reply) => {
      const branch = request.query.branch?.trim() || undefined;
      const id = request.params.id;
      const pipelines = await parts.pipelines.list(id, { limit: 100, ...(branch !== undefined && { branch }) });
      return sendPage(
        reply,
        parts,
        'project',
        await projectPageModel(request, parts, id, 'pipelines', 'Pipelines', {
          webhookUrl: webhookUrlOf(await parts.webhookBaseUrl(), { id }),
          branch,
          pipelines: pipelines.map((p) => ({ ...p, shortSha: shortSha(p.sha) })),
        }),
      );
    },
  );

  web.post<IdRequest>(
    '/projects/:id/pipelines',
    { config: projectRole('member', 'project'), schema: { params: idParams } },
    async (request, reply) => {
      checkCsrf(request);
      const pipeline = await triggerPipeline(
        parts,
        request.params.id,
        readTriggerForm(request.body),
        requesterOfPage(request),
        'the trigger form',
      );
      return reply.redirect(`/pipelines/${pipeline.id}`, 303);
    },
  );
};
