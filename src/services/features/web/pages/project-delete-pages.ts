/**
 * Deleting a project (maintainers), in two steps: a page that says what goes with it and asks
 * for the project's name, then the post that deletes it with the same store call as
 * `DELETE /api/v1/projects/:id`. A wrong or missing name deletes nothing. The API does not audit
 * deletions, so this page does not either.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../../../shared/errors.js';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, postedForm, userActorOf, type IdRequest } from './page-common.js';
import { projectPageModel } from './project-page-model.js';

export const projectDeletePages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const id = (request.params as IdRequest['Params']).id;
    return sendPage(
      reply,
      parts,
      'project-delete',
      await projectPageModel(request, parts, id, 'settings', 'Delete', { errors }),
    );
  };

  web.get<IdRequest>(
    '/projects/:id/delete',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    (request, reply) => show(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/delete',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show, async (request) => {
      const project = await parts.projects.get(request.params.id);
      const typed = postedForm(request.body).text('confirm');
      if (typed !== project.name)
        throw new InvalidInputError('the confirmation', [
          {
            input: 'Project name',
            message: `type the project's name, ${project.name}, exactly, to delete it`,
          },
        ]);
      await parts.projects.remove(project.id, userActorOf(request));
      return '/';
    }),
  );
};
