/**
 * `/api/v1/orbs`: the installation's orb store. Administrators import and remove orb versions;
 * every signed-in account may list them and read one, as config authors need to see what their
 * configs can use. Imports and removals are audited under the token's name.
 */
import type { FastifyInstance } from 'fastify';
import { importOrbBody, orbParams, type ImportOrbRequest, type OrbParams } from '../../../api/requests.js';
import { itemsOf, orbDetailResponse, orbResponse } from '../../../api/responses.js';
import { ADMIN_ONLY, SIGNED_IN } from '../../http/access-policy.js';
import { tokenActorOf } from '../../http/token-auth.js';
import type { OrbStore } from '../../stores/orbs/orb-store.js';
import { importOrb } from './import-orb.js';

export function registerOrbRoutes(app: FastifyInstance, orbs: OrbStore): void {
  const tags = ['orbs'];
  app.get(
    '/api/v1/orbs',
    {
      config: SIGNED_IN,
      schema: { tags, summary: 'Every imported orb version, newest first', response: { 200: itemsOf(orbResponse) } },
    },
    async () => ({ items: await orbs.list() }),
  );
  app.get<{ Params: OrbParams }>(
    '/api/v1/orbs/:namespace/:name/:version',
    {
      config: SIGNED_IN,
      schema: {
        tags,
        summary: 'One imported orb version, with its packed YAML',
        params: orbParams,
        response: { 200: orbDetailResponse },
      },
    },
    (request) => orbs.get(request.params),
  );
  app.put<{ Params: OrbParams; Body: ImportOrbRequest }>(
    '/api/v1/orbs/:namespace/:name/:version',
    {
      config: ADMIN_ONLY,
      // Larger than the default limit: a source tree's scripts travel inside the JSON.
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        tags,
        summary:
          'Import an orb version from its packed YAML or its source tree; 201 when new, 200 when the same text was already imported, 409 when other text was',
        params: orbParams,
        body: importOrbBody,
        response: { 200: orbResponse, 201: orbResponse },
      },
    },
    async (request, reply) => {
      const { orb, created } = await importOrb(orbs, request.params, request.body, tokenActorOf(request));
      return reply.code(created ? 201 : 200).send(orb);
    },
  );
  app.delete<{ Params: OrbParams }>(
    '/api/v1/orbs/:namespace/:name/:version',
    {
      config: ADMIN_ONLY,
      schema: {
        tags,
        summary: 'Remove an orb version; configs that name it fail to plan until it is imported again',
        params: orbParams,
      },
    },
    async (request, reply) => {
      await orbs.remove(request.params, tokenActorOf(request));
      return reply.code(204).send();
    },
  );
}
