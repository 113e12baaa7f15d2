/**
 * `/api/v1/projects/:id/ssh-keys`: the keys a project's `add_ssh_keys` steps put into jobs.
 * Members see the fingerprints, hosts and public halves (a config names keys by fingerprint);
 * maintainers add and remove keys. No answer ever holds a private key.
 */
import type { FastifyInstance } from 'fastify';
import { idParams, sshKeyBody, sshKeyParams, type SshKeyRequest } from '../../../api/requests.js';
import { itemsOf, sshKeyResponse } from '../../../api/responses.js';
import { projectRole } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { SshKeyStore } from '../../stores/projects/ssh-keys.js';

export function registerSshKeyRoutes(app: FastifyInstance, deps: { readonly sshKeys: SshKeyStore }): void {
  const { sshKeys } = deps;
  app.get<{ Params: { id: number } }>(
    '/api/v1/projects/:id/ssh-keys',
    {
      config: projectRole('member', 'project'),
      schema: {
        tags: ['projects'],
        summary: "List the project's SSH keys for `add_ssh_keys`: fingerprints, hosts and public halves",
        params: idParams,
        response: { 200: itemsOf(sshKeyResponse) },
      },
    },
    async (request) => ({ items: await sshKeys.list(request.params.id) }),
  );

  app.post<{ Params: { id: number }; Body: SshKeyRequest }>(
    '/api/v1/projects/:id/ssh-keys',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Add an SSH key for `add_ssh_keys` (sealed at rest; never given to builds of forks without secrets)',
        params: idParams,
        body: sshKeyBody,
        response: { 201: sshKeyResponse },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await sshKeys.add(request.params.id, request.body, tokenActorOf(request))),
  );

  app.delete<{ Params: { id: number; fingerprint: string } }>(
    '/api/v1/projects/:id/ssh-keys/:fingerprint',
    {
      config: projectRole('maintainer', 'project'),
      schema: {
        tags: ['projects'],
        summary: 'Remove an SSH key, named by its MD5 or SHA256 fingerprint',
        params: sshKeyParams,
      },
    },
    async (request, reply) => {
      await sshKeys.remove(request.params.id, request.params.fingerprint, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
