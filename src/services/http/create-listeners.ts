/**
 * The services app's two listeners: the user port (UI, API, webhooks, builder protocol) and the
 * admin console port, each its own Fastify instance so that no admin route can leak onto the
 * user port by accident.
 */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '../../config/index.js';

export interface Listeners {
  readonly user: FastifyInstance;
  readonly admin: FastifyInstance;
  /** The HTTPS user listener, present when TLS is on; it serves the same routes as `user`. */
  readonly userTls?: FastifyInstance;
}

const BODY_LIMIT_BYTES = 25 * 1024 * 1024;

export function createListeners(settings: Settings, logger: Logger): Listeners {
  const options = {
    bodyLimit: BODY_LIMIT_BYTES,
    // Health checks arrive every few seconds from Compose and load balancers; logging each would
    // bury the requests that matter.
    logController: new LogController({ disableRequestLogging: (request) => request.url === '/healthz' }),
    // Report every invalid field at once, and refuse unknown fields instead of silently dropping them.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  };
  // pino's Logger is what Fastify logs through; its declared type is narrower than pino's own.
  const log = (listener: string) => logger.child({ listener }) as FastifyBaseLogger;
  const user = Fastify({ ...options, loggerInstance: log('user') });
  const admin = Fastify({ ...options, loggerInstance: log('admin') });
  if (!settings.tls) return { user, admin };
  const https = { cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) };
  const userTls = Fastify({ ...options, https, loggerInstance: log('user-tls') });
  return { user, admin, userTls };
}
