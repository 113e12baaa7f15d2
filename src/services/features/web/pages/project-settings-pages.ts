/**
 * A project's settings page (maintainers): git URL, default branch, linked GitHub repository,
 * visibility and the fork options, saved with the same store call as `PATCH /api/v1/projects/:id`.
 * A bad form is shown again with every problem and what the user typed; nothing is saved.
 * The API does not audit project changes, so this page does not either.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, type IdRequest } from './page-common.js';
import { projectPageModel } from './project-page-model.js';
import { readSettingsForm, settingsChanges, settingsFormOf } from './project-settings-form.js';
import { PAGE_ROLES } from './project-tabs.js';

/** `?saved=1` after a change was saved, so the page says so. */
const savedQuery = z.object({ saved: z.string().optional() });

export const projectSettingsPages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const id = (request.params as IdRequest['Params']).id;
    const posted = request.method === 'POST';
    const saved = !posted && (request.query as { saved?: string }).saved !== undefined;
    const form = posted ? readSettingsForm(request.body) : settingsFormOf(await parts.projects.get(id));
    return sendPage(
      reply,
      parts,
      'project-settings',
      await projectPageModel(request, parts, id, 'settings', 'Settings', { form, errors, saved }),
    );
  };

  web.get<IdRequest>(
    '/projects/:id/settings',
    { config: projectRole(PAGE_ROLES.settings, 'project'), schema: { params: idParams, querystring: savedQuery } },
    (request, reply) => show(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/settings',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show, async (request) => {
      await parts.projects.update(request.params.id, settingsChanges(readSettingsForm(request.body)));
      return `/projects/${request.params.id}/settings?saved=1`;
    }),
  );
};
