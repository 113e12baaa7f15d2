/**
 * The OpenAPI document of the JSON API, generated from the same zod route schemas that validate
 * requests and serialise responses, so it cannot drift from what the server does. Served at /api/v1/openapi.json.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { publicRoute } from './access-policy.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** What the document covers: the API, the builder protocol, the health check and the webhook inbox. */
const DOCUMENTED_PREFIXES = ['/api/', '/builder/', '/healthz', '/webhooks/'];

/** Registers the collector; must run before the routes it documents are added. */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Gyre API',
        version,
        description: 'Self-hosted CI. Authenticate with `Authorization: Bearer gyre_pat_...`.',
      },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
    // The zod schemas become JSON schemas; the web UI's pages share the listener but are not part
    // of the API a client can program against.
    transform: (route) => {
      const documented = jsonSchemaTransform(route);
      const hidden = route.schema?.hide === true || !DOCUMENTED_PREFIXES.some((prefix) => route.url.startsWith(prefix));
      return { ...documented, schema: { ...documented.schema, hide: hidden } };
    },
    transformObject: jsonSchemaTransformObject,
  });
  app.get(
    OPENAPI_PATH,
    { config: publicRoute('the description of the API holds no data'), schema: { hide: true } },
    () => app.swagger(),
  );
}
