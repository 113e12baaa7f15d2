/**
 * `/api/v1/projects/:id/credential`: a project's credential for its private repository. Only
 * maintainers see or change it, and no answer ever holds the token or the private key: a token
 * shows its last 4 characters, a deploy key its public half, to add to the repository.
 */
import type { FastifyInstance } from 'fastify';
import { idParams, gitCredentialBody, type GitCredentialRequest } from '../../../api/requests.js';
import { gitCredentialResponse } from '../../../api/responses.js';
import { NotFoundError } from '../../../shared/errors.js';
import { projectRole } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';

export function registerCredentialRoutes(
  app: FastifyInstance,
  deps: { readonly credentials: GitCredentialStore },
): void {
  const { credentials } = deps;
  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id/credential',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: "Show the kind of the project's repository credential, and a deploy key's public half",
        params: idParams,
        response: { 200: gitCredentialResponse },
      },
    },
    async (request) => {
      const summary = await credentials.summary(request.params.id);
      if (summary === undefined) throw new NotFoundError(`the git credential of project ${request.params.id}`);
      return summary;
    },
  );

  app.put<{ Params: { id: number }; Body: GitCredentialRequest }>(
    '/api/v1/projects/:id/credential',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary:
          'Set the repository credential: an https token, or a new deploy key whose public half the answer shows (sealed at rest)',
        params: idParams,
        body: gitCredentialBody,
        response: { 200: gitCredentialResponse },
      },
    },
    (request) => credentials.set(request.params.id, request.body, tokenActorOf(request)),
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/projects/:id/credential',
    {
      config: projectRole('maintainer', 'project'),
      schema: { tags: ['projects'], summary: "Remove the project's repository credential", params: idParams },
    },
    async (request, reply) => {
      await credentials.remove(request.params.id, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
