/**
 * The orbs page of the admin console: the installation's orb store, an import form for a packed
 * orb (what `circleci orb pack` or `gyre orbs pack` prints), and removal. The form is checked with
 * the API's rules and the import goes through the same checks as the API's; every problem is
 * listed on the page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importOrbBody, orbParams, type OrbParams } from '../../../api/requests.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { releaseOf } from '../../core/orbs/orb-versions.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import { sendPage } from '../../http/web-scope.js';
import { importOrb } from '../orbs/import-orb.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminAction, adminPageModel } from './admin-page.js';

type Form = Record<string, string | string[] | undefined>;

export function registerOrbsPages(web: FastifyInstance, deps: AdminDeps): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, errors: readonly string[] = []) =>
    sendPage(reply, deps, 'admin-orbs', {
      ...adminPageModel(request, 'Orbs'),
      orbs: (await deps.orbs.list()).map((orb) => ({ ...orb, shortSha: orb.sha256.slice(0, 12) })),
      errors,
    });

  web.get('/orbs', { config: ADMIN_ONLY }, (request, reply) => show(request, reply));
  web.post<{ Body: Form }>(
    '/orbs',
    // A packed orb is YAML of up to 1 MiB, URL-encoded.
    { config: ADMIN_ONLY, bodyLimit: 4 * 1024 * 1024 },
    adminAction<{ Body: Form }>(show, '/orbs', async (request) => {
      const id = releaseOf(field(request.body.ref));
      // The API's rules for the text: at most 1 MiB, no NUL (PostgreSQL text cannot hold one).
      const body = importOrbBody.safeParse({ yaml: field(request.body.yaml) });
      if (!body.success)
        throw new InvalidInputError(
          'the orb to import',
          body.error.issues.map((issue) => ({ input: 'packed YAML', message: issue.message })),
        );
      await importOrb(deps.orbs, id, body.data, actorOf(request));
    }),
  );
  web.post<{ Params: OrbParams; Body: Form }>(
    '/orbs/:namespace/:name/:version/remove',
    { config: ADMIN_ONLY, schema: { params: orbParams } },
    adminAction<{ Params: OrbParams; Body: Form }>(show, '/orbs', (request) =>
      deps.orbs.remove(request.params, actorOf(request)),
    ),
  );
}

function field(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : '';
}
