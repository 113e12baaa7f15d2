/**
 * A project's members page: every member and their role, for anyone who may see the project (as
 * `GET /api/v1/projects/:id/members`); maintainers also add accounts, change roles and remove
 * members. Changes go through the same ProjectAccess calls as the API, which audit them in the
 * same transaction, naming the signed-in account. A refusal (an unknown account, the last
 * maintainer) is listed on the page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { memberParams } from '../../../../api/requests.js';
import { PROJECT_ROLES } from '../../../core/access/project-roles.js';
import { projectRole } from '../../../http/access-policy.js';
import { formAction } from '../../../http/form-action.js';
import { sendPage } from '../../../http/web-scope.js';
import type { UserPages } from '../user-ui.js';
import { idParams, postedForm, signedInUser, userActorOf, type IdRequest } from './page-common.js';
import { checkMemberForm, readMemberForm } from './project-member-form.js';
import { projectPageModel } from './project-page-model.js';
import { PAGE_ROLES } from './project-tabs.js';

interface MemberRequest {
  Params: { id: number; login: string };
}

export const projectMemberPages: UserPages = (web, parts) => {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const id = (request.params as IdRequest['Params']).id;
    const posted = request.method === 'POST' ? postedForm(request.body) : undefined;
    return sendPage(
      reply,
      parts,
      'project-members',
      await projectPageModel(request, parts, id, 'members', 'Members', {
        members: await parts.projectAccess.members(id),
        roles: PROJECT_ROLES,
        form: { login: posted?.text('login') ?? '', role: posted?.text('role') || 'viewer' },
        errors,
      }),
    );
  };

  web.get<IdRequest>(
    '/projects/:id/members',
    { config: projectRole(PAGE_ROLES.members, 'project'), schema: { params: idParams } },
    (request, reply) => show(request, reply),
  );

  web.post<IdRequest>(
    '/projects/:id/members',
    { config: projectRole('maintainer', 'project'), schema: { params: idParams } },
    formAction<IdRequest>(show, async (request) => {
      const { login, role } = checkMemberForm(readMemberForm(request.body));
      await parts.projectAccess.setMember(request.params.id, login, role, userActorOf(request));
      return `/projects/${request.params.id}/members`;
    }),
  );

  web.post<MemberRequest>(
    '/projects/:id/members/:login/remove',
    { config: projectRole('maintainer', 'project'), schema: { params: memberParams } },
    formAction<MemberRequest>(show, async (request) => {
      const { id, login } = request.params;
      await parts.projectAccess.removeMember(id, login, userActorOf(request));
      // Whoever removed themselves may no longer see the project.
      const self = signedInUser(request).login.toLowerCase() === login.toLowerCase();
      return self ? '/' : `/projects/${id}/members`;
    }),
  );
};
