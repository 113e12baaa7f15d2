/**
 * `PUT /api/v1/projects/:id/docker-in-builds`: an administrator grants or withdraws a project's
 * Docker in builds. Administrators only, not the project's maintainers: the grant lets the
 * project's code run an engine whose container has no seccomp or AppArmor profile on the
 * builders that offer it, a risk the builders' owners take (docs/design/docker-in-builds.md).
 */
import type { FastifyInstance } from 'fastify';
import { dockerInBuildsBody, idParams, type DockerInBuildsRequest } from '../../../api/requests.js';
import { projectResponse } from '../../../api/responses.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';

export function registerDockerPermissionRoutes(app: FastifyInstance, deps: { readonly projects: ProjectStore }): void {
  app.put<{ Params: { id: number }; Body: DockerInBuildsRequest }>(
    '/api/v1/projects/:id/docker-in-builds',
    {
      config: ADMIN_ONLY,
      schema: {
        tags: ['projects'],
        summary:
          "Allow or withdraw the project's Docker in builds (setup_remote_docker, the machine executor); administrators only",
        params: idParams,
        body: dockerInBuildsBody,
        response: { 200: projectResponse },
      },
    },
    async (request) => {
      const project = await deps.projects.allowDockerInBuilds(
        request.params.id,
        request.body.allowed,
        tokenActorOf(request),
      );
      request.log.info({ project: project.name, allowed: project.dockerInBuilds }, 'docker in builds changed');
      return project;
    },
  );
}
