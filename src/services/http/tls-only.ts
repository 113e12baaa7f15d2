/**
 * What turning TLS on changes beyond the HTTPS listeners: the plain HTTP port sends browsers and
 * API clients to HTTPS, and every HTTPS answer tells browsers to use nothing else (HSTS).
 */
import type { FastifyInstance } from 'fastify';
import { BUILDER_API_PREFIX } from '../../protocol/index.js';

/** A year, as browsers' preload lists ask; a browser that saw it refuses plain HTTP for that long. */
const HSTS = 'max-age=31536000';

/**
 * Answers every request on the plain HTTP listener with a 308 to the same path under
 * `httpsOrigin` (method and body kept, as API clients need), but two:
 * - `/healthz`, which the stack's health probe and `gyre up` ask over plain HTTP inside the
 *   container;
 * - the builder protocol, until builders verify the services certificate: today a builder on the
 *   services host reaches it on loopback, where no certificate names the address.
 * The target is the configured origin, never the request's Host header, so the redirect cannot
 * be pointed elsewhere.
 */
export function redirectToHttps(app: FastifyInstance, httpsOrigin: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path === '/healthz' || path.startsWith(`${BUILDER_API_PREFIX}/`)) return;
    await reply.redirect(`${httpsOrigin}${request.url}`, 308);
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
