/**
 * The model of every page about one project: the project, the caller's role in it (which the
 * template reads to offer only the actions that role may take), its tabs and the CSRF token.
 */
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../../../shared/errors.js';
import { allows } from '../../../core/access/project-roles.js';
import { signedInCaller } from '../../../http/access-policy.js';
import type { UserUiDeps } from '../user-ui.js';
import { pageModel } from './page-common.js';
import { projectTabs, type ProjectPage } from './project-tabs.js';

/**
 * The page model of `page` of project `projectId`, titled `heading · <project>`, with `model`
 * added. The route policy let the caller in; the role is read again because the policy does not
 * hand it on.
 */
export async function projectPageModel(
  request: FastifyRequest,
  parts: UserUiDeps,
  projectId: number,
  page: ProjectPage,
  heading: string,
  model: object,
): Promise<object> {
  const [project, role] = await Promise.all([
    parts.projects.get(projectId),
    parts.projectAccess.roleIn(signedInCaller(request), 'project', projectId),
  ]);
  if (role === undefined) throw new NotFoundError(`project ${projectId}`);
  return pageModel(request, page === 'pipelines' ? project.name : `${heading} · ${project.name}`, {
    project,
    role,
    tabs: projectTabs(project.id, role, page),
    canTrigger: allows(role, 'member'),
    canManage: allows(role, 'maintainer'),
    csrf: request.signedIn?.session.csrfToken,
    ...model,
  });
}
