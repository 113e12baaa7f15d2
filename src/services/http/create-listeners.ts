/**
 * The services app's listeners: the user port (UI, API, webhooks, builder protocol) and the admin
 * console port, each its own Fastify instance so that no admin route can leak onto the user port
 * by accident. With TLS on, the user routes are also served on the HTTPS port, the admin console
 * is HTTPS only, and the plain user port sends everything but /healthz there (tls-only.ts).
 */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Settings } from '../../config/index.js';
import { registerRequestLog } from './request-log.js';
import { httpsOriginOf, redirectToHttps, requireHttpsFromNowOn } from './tls-only.js';

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
    // Each request is logged once, by registerRequestLog, at a level that fits its route.
    logController: new LogController({ disableRequestLogging: true }),
    // request.ip is the client's address: the connecting one, or what a trusted proxy forwarded.
    trustProxy: settings.trustedProxies.length > 0 ? [...settings.trustedProxies] : false,
  };
  // pino's Logger is what Fastify logs through; its declared type is narrower than pino's own.
  const log = (listener: string) => logger.child({ listener }) as FastifyBaseLogger;
  const user = withRequestLog(Fastify({ ...options, loggerInstance: log('user') }));
  if (!settings.tls) return { user, admin: withRequestLog(Fastify({ ...options, loggerInstance: log('admin') })) };
  const https = { cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) };
  const admin = withRequestLog(Fastify({ ...options, https, loggerInstance: log('admin') }));
  const userTls = withRequestLog(Fastify({ ...options, https, loggerInstance: log('user-tls') }));
  for (const app of [admin, userTls]) requireHttpsFromNowOn(app);
  redirectToHttps(user, httpsOriginOf(settings.publicUrl, settings.hostname, settings.listen.httpsPort));
  return { user, admin, userTls };
}

function withRequestLog<T extends FastifyInstance>(app: T): T {
  useZodSchemas(app);
  registerRequestLog(app);
  return app;
}

/**
 * Every route's schemas are zod schemas: zod validates requests (reporting every invalid field at
 * once; strict objects refuse unknown fields) and serialises responses that declare a schema.
 */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
}
