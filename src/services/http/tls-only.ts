/**
 * What turning TLS on changes beyond the HTTPS listeners: the plain HTTP port sends everything to
 * HTTPS, and every HTTPS answer tells browsers to use nothing else (HSTS).
 */
import type { FastifyInstance } from 'fastify';

/**
 * 180 days: long enough that a browser which once came over HTTPS keeps to it, short enough that
 * an evaluation install's name (localhost, say) is not held to HTTPS for long after it is gone.
 */
const HSTS = 'max-age=15552000';

/**
 * Answers every request on the plain HTTP listener but `/healthz` (asked by the stack's health
 * probe and `gyre up` inside the container) with a 308 to the same path under `httpsOrigin`.
 * The API, webhooks and the builder protocol too: a token or a job's variables must not cross the
 * network in clear. Machines do not follow such a redirect with their credentials (fetch drops
 * Authorization when the origin changes; GitHub does not follow redirects for webhooks), so they
 * fail and are pointed at HTTPS; `gyre` and the services host's builder use HTTPS themselves.
 * The target is the configured origin and the request's own path and query, never its Host header
 * or an absolute-form target, so the redirect cannot be pointed elsewhere.
 */
export function redirectToHttps(app: FastifyInstance, httpsOrigin: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const target = new URL(request.url, 'http://request.invalid');
    const path = target.pathname;
    if (path === '/healthz') return;
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
