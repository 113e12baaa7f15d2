/**
 * A project's variables page (maintainers): each variable's name and the last characters of its
 * value (none for a value shorter than 8), a form that adds a variable or replaces its value, and
 * removal. Values go to the same store calls as the API's variable routes and are never sent back
 * to the browser, not even in a form shown again after a refusal. The API does not audit variable
 * changes, so this page does not either.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { variableParams } from '../../../../api/requests.js';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, postedForm, userActorOf, type IdRequest } from './page-common.js';
import { projectPageModel } from './project-page-model.js';
import { checkVariableForm, readVariableForm } from './project-variable-form.js';
import { PAGE_ROLES } from './project-tabs.js';

interface VariableRequest {
  Params: { id: number; name: string };
}

export const projectVariablePages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const id = (request.params as IdRequest['Params']).id;
    // After a refusal the name typed comes back, the value never does.
    const name = request.method === 'POST' ? postedForm(request.body).text('name') : '';
    return sendPage(
      reply,
      parts,
      'project-variables',
      await projectPageModel(request, parts, id, 'variables', 'Variables', {
        variables: await parts.projects.listVariables(id),
        name,
        errors,
      }),
    );
  };

  web.get<IdRequest>(
    '/projects/:id/variables',
    { config: projectRole(PAGE_ROLES.variables, 'project'), schema: { params: idParams } },
    (request, reply) => show(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/variables',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show, async (request) => {
      const { name, value } = checkVariableForm(readVariableForm(request.body));
      await parts.projects.setVariable(request.params.id, name, value, userActorOf(request));
      return `/projects/${request.params.id}/variables`;
    }),
  );

  web.post<VariableRequest>(
    '/projects/:id/variables/:name/remove',
    { config: projectRole('maintainer', 'project'), schema: { params: variableParams } },
    formAction<VariableRequest>(show, async (request) => {
      await parts.projects.removeVariable(request.params.id, request.params.name, userActorOf(request));
      return `/projects/${request.params.id}/variables`;
    }),
  );
};
