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
    /** Path parameters that may hold a job's secrets (a cache key can render `{{ .Environment.TOKEN }}`): logged as `:name`. */
    readonly unloggedParams?: readonly string[];
  }
}

/** Route config that marks a route as routine traffic: `config: { ...SIGNED_IN, ...ROUTINE }`. */
export const ROUTINE = { routine: true } as const;

/**
 * The request's URL as logs may hold it: the route's pattern with every path parameter filled in
 * but those the route keeps out of logs, and the query string.
 */
export function loggedUrl(request: FastifyRequest): string {
  const unlogged = request.routeOptions.config?.unloggedParams;
  const pattern = request.routeOptions.url;
  if (!unlogged?.length || pattern === undefined) return request.url;
  const params = request.params as Readonly<Record<string, string>>;
  const path = pattern.replace(/:(\w+)/g, (whole, name: string) =>
    unlogged.includes(name) ? whole : encodeURIComponent(String(params[name] ?? whole)),
  );
  const query = request.url.indexOf('?');
  return query === -1 ? path : path + request.url.slice(query);
}

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log[levelOf(request, reply)](
      {
        method: request.method,
        url: loggedUrl(request),
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
