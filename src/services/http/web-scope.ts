/**
 * The pages of one listener (the user UI, or the admin console): an encapsulated Fastify scope
 * with cookies, HTML form bodies, the session of that listener's scope, Gyre's own static assets
 * (no CDN: installs are air-gapped) and HTML error pages. API routes outside the scope keep their
 * JSON errors and content types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { SessionScope } from '../stores/accounts/session-store.js';
import { describeError } from './error-shape.js';
import { registerSessionAuth, type SessionAuthDeps } from './session-auth.js';
import { WEB_TEMPLATES_DIR, type RenderView } from './views.js';
import { publicRoute } from './access-policy.js';

const ASSETS_POLICY = publicRoute("Gyre's own stylesheet, script and icon, the same for everyone");

export interface WebDeps extends SessionAuthDeps {
  readonly views: RenderView;
  readonly version: string;
}

const ASSETS: Readonly<Record<string, string>> = {
  'gyre.css': 'text/css; charset=utf-8',
  'gyre.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** Registers a scope of pages; `routes` adds the pages themselves. */
export function registerWebScope(
  app: FastifyInstance,
  scope: SessionScope,
  deps: WebDeps,
  routes: (web: FastifyInstance) => void,
): void {
  void app.register(async (web) => {
    await web.register(fastifyCookie);
    // One string per field (the last, when a field is repeated), so no form handler meets an array.
    await web.register(fastifyFormbody, {
      bodyLimit: 64 * 1024,
      parser: (body) => Object.fromEntries(new URLSearchParams(body)),
    });
    registerSessionAuth(web, scope, deps);
    web.addHook('onSend', async (_request, reply) => {
      // Pages load only Gyre's own scripts and styles, and cannot be framed by another site.
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        void reply.header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
        );
        void reply.header('x-content-type-options', 'nosniff');
        void reply.header('referrer-policy', 'same-origin');
      }
    });
    web.setErrorHandler((error: FastifyError, request, reply) => {
      const [status, body] = describeError(error);
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'page failed');
      return sendPage(reply.code(status), deps, 'error', {
        title: `Error ${status}`,
        status,
        message: body.error.message,
        signedIn: request.signedIn,
      });
    });
    const assets = new Map(
      Object.keys(ASSETS).map((name) => [name, readFileSync(join(WEB_TEMPLATES_DIR, 'assets', name))]),
    );
    web.get<{ Params: { name: string } }>('/assets/:name', { config: ASSETS_POLICY }, (request, reply) => {
      const body = assets.get(request.params.name);
      if (!body) return reply.code(404).type('text/plain').send('no such asset');
      return reply.type(ASSETS[request.params.name]!).header('cache-control', 'public, max-age=3600').send(body);
    });
    routes(web);
  });
}

/** Renders a page with the layout's common model. */
export function sendPage(reply: FastifyReply, deps: WebDeps, view: string, model: object): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(deps.views(view, { version: deps.version, ...model }));
}
