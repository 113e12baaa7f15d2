/**
 * One log line per answered request, instead of Fastify's two. Routine traffic (the builder
 * protocol's lease, heartbeat and log calls, health checks, the UI's status polls) repeats every
 * few seconds per builder or viewer, so it is logged at `debug`: an idle install at `info` writes
 * nothing for it. A refusal of routine traffic (4xx, such as a stale lease's 409) is a state
 * change worth seeing and stays at `info`; server errors are logged with their stack where they
 * are mapped (error-shape.ts), and summarised here at `warn`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Repeats every few seconds per client; logged at debug unless it fails. @default false */
    readonly routine?: boolean;
  }
}

/** Route config that marks a route as routine traffic: `config: { ...SIGNED_IN, ...ROUTINE }`. */
export const ROUTINE = { routine: true } as const;

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log[levelOf(request, reply)](
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'request answered',
    );
    done();
  });
}

function levelOf(request: FastifyRequest, reply: FastifyReply): 'debug' | 'info' | 'warn' {
  if (reply.statusCode >= 500) return 'warn';
  if (reply.statusCode >= 400) return 'info';
  return request.routeOptions.config.routine === true ? 'debug' : 'info';
}
