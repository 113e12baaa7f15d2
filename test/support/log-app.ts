import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { useZodSchemas } from '../../src/services/http/create-listeners.js';
import { registerErrorShape } from '../../src/services/http/error-shape.js';
import { registerLogRoutes, type LogRouteDeps } from '../../src/services/features/logs/log-routes.js';

/**
 * The log routes on a bare Fastify with the API's schemas and error shape, listening on loopback. Token
 * authentication is left out on purpose: these tests are about the log routes themselves.
 */
export async function serveLogRoutes(deps: LogRouteDeps): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify();
  useZodSchemas(app);
  registerErrorShape(app);
  registerLogRoutes(app, deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
