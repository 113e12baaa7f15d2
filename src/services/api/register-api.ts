/**
 * The JSON API on the user listener: one error shape, token authentication, then the routes.
 */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../database/create-pool.js';
import { registerProjectRoutes } from '../projects/project-routes.js';
import { ProjectStore } from '../projects/project-store.js';
import type { SecretBox } from '../security/secret-box.js';
import { registerTokenAuth } from './authenticate.js';
import { registerErrorShape } from './error-shape.js';

export function registerApi(app: FastifyInstance, db: Database, box: SecretBox): void {
  registerErrorShape(app);
  // Encapsulated: authentication applies to the API routes only, not to /healthz or webhooks.
  void app.register((api, _options, done) => {
    registerTokenAuth(api, db);
    registerProjectRoutes(api, new ProjectStore(db, box));
    done();
  });
}
