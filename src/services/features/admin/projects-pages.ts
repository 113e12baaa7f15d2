/**
 * The projects page of the admin console: every project, and the administrator's grant of Docker
 * in builds to each (`setup_remote_docker`, the machine executor). The grant is here, not in the
 * project's settings, because its risk falls on the builders' hosts, which project maintainers do
 * not own; the page says that risk where the grant is made. Changes are audited by ProjectStore.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParams } from '../../../api/requests.js';
import { ADMIN_ONLY, signedInCaller } from '../../http/access-policy.js';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminAction, adminPageModel } from './admin-page.js';

/** Projects on one page; the page links to the next. */
const PAGE = 100;

const pageQuery = z.strictObject({ after: z.coerce.number().int().min(0).optional() });

interface GrantRequest {
  Params: { id: number };
  Body: { allowed?: string; _csrf?: string };
}

export function registerProjectsPages(web: FastifyInstance, deps: AdminDeps): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) => {
    const after = pageQuery.safeParse(request.query).data?.after ?? 0;
    const page = await deps.projects.list(signedInCaller(request), { after, limit: PAGE + 1 });
    const builders = await deps.builders.list();
    return sendPage(reply, deps, 'admin-projects', {
      ...adminPageModel(request, 'Projects'),
      // A fork's pull request gets Docker where it gets the secrets (docker-grant.ts).
      projects: page.slice(0, PAGE).map((p) => ({ ...p, forksToo: p.buildForkPullRequests && p.passSecretsToForks })),
      next: page.length > PAGE ? page[PAGE - 1]!.id : undefined,
      builderOffersDocker: builders.some((b) => b.state !== 'revoked' && b.dockerInBuilds !== 'off'),
      errors,
    });
  };

  web.get('/projects', { config: ADMIN_ONLY }, (request, reply) => show(request, reply));

  web.post<GrantRequest>(
    '/projects/:id/docker-in-builds',
    { config: ADMIN_ONLY, schema: { params: idParams } },
    adminAction<GrantRequest>(show, '/projects', async (request) => {
      const allowed = request.body.allowed === 'true';
      const project = await deps.projects.allowDockerInBuilds(request.params.id, allowed, actorOf(request));
      request.log.info({ project: project.name, allowed, actor: actorOf(request) }, 'docker in builds changed');
    }),
  );
}
