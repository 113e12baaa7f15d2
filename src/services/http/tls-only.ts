/**
 * What turning TLS on changes beyond the HTTPS listeners: the plain HTTP port sends browsers to
 * HTTPS, and every HTTPS answer tells browsers to use nothing else (HSTS).
 */
import type { FastifyInstance } from 'fastify';
import { BUILDER_API_PREFIX } from '../../protocol/index.js';

/**
 * 180 days: long enough that a browser which once came over HTTPS keeps to it, short enough that
 * an evaluation install's name (localhost, say) is not held to HTTPS for long after it is gone.
 */
const HSTS = 'max-age=15552000';

/**
 * What the plain HTTP port still answers itself with TLS on: machines, which do not follow a
 * redirect with their credentials (fetch drops Authorization when the origin changes, GitHub does
 * not follow redirects for webhooks), and which `gyre` and builders on the services host reach on
 * loopback, where no certificate names the address:
 * - `/healthz`, asked by the stack's health probe and `gyre up` inside the container;
 * - the API, the webhooks and the builder protocol.
 */
const MACHINE_PATHS = ['/api/', '/webhooks/', `${BUILDER_API_PREFIX}/`];

/**
 * Answers every other request on the plain HTTP listener, the web UI's pages, with a 308 to the
 * same path under `httpsOrigin`. The target is the configured origin and the request's own path
 * and query, never its Host header or an absolute-form target, so the redirect cannot be pointed
 * elsewhere.
 */
export function redirectToHttps(app: FastifyInstance, httpsOrigin: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const target = new URL(request.url, 'http://request.invalid');
    const path = target.pathname;
    if (path === '/healthz' || MACHINE_PATHS.some((prefix) => path.startsWith(prefix))) return;
    await reply.redirect(`${httpsOrigin}${path}${target.search}`, 308);
  });
}

/** Adds Strict-Transport-Security to every answer of an HTTPS listener. */
export function requireHttpsFromNowOn(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('strict-transport-security', HSTS);
    return payload;
  });
}

/** The HTTPS origin users are sent to: the public URL's when it is HTTPS, else the host name on the HTTPS port. */
export function httpsOriginOf(publicUrl: string, hostname: string, httpsPort: number): string {
  const url = new URL(publicUrl);
  if (url.protocol === 'https:') return url.origin;
  return httpsPort === 443 ? `https://${hostname}` : `https://${hostname}:${httpsPort}`;
}
