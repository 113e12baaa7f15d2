import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { useZodSchemas } from '../../src/services/http/create-listeners.js';
import { registerErrorShape } from '../../src/services/http/error-shape.js';
import { registerLogRoutes, type LogRouteDeps } from '../../src/services/features/logs/log-routes.js';

/**
 * The log routes on a bare Fastify with the API's schemas and error shape, listening on loopback. Token
 * authentication is left out on purpose: these tests are about the log routes themselves.
 * `stillAllowed` stands for the access policy's check that a reader may still read.
 */
export async function serveLogRoutes(
  deps: LogRouteDeps,
  options: { readonly stillAllowed?: () => Promise<boolean> } = {},
): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify();
  useZodSchemas(app);
  registerErrorShape(app);
  // Stands in for the access policy, which gives project routes this check (access-policy.ts).
  const { stillAllowed } = options;
  if (stillAllowed)
    app.addHook('onRequest', (request, _reply, done) => {
      request.stillAllowed = stillAllowed;
      done();
    });
  registerLogRoutes(app, deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
