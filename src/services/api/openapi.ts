/**
 * The OpenAPI document of the JSON API, generated from the same route schemas that validate
 * requests, so it cannot drift from what the server accepts. Served at /api/v1/openapi.json.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** Registers the collector; must run before the routes it documents are added. */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  void app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Gyre API', version, description: 'Self-hosted CI. Authenticate with `Authorization: Bearer gyre_pat_...`.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());
}
