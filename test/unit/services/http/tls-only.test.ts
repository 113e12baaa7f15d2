import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { httpsOriginOf, redirectToHttps, requireHttpsFromNowOn } from '../../../../src/services/http/tls-only.js';

/** The plain HTTP user listener of a services box with TLS on. */
function plainListener() {
  const app = Fastify();
  redirectToHttps(app, 'https://ci.example.com:8443');
  app.get('/healthz', () => ({ status: 'ok' }));
  app.post('/builder/v1/lease', () => ({ leases: [] }));
  app.post('/api/v1/projects', () => ({ id: 1 }));
  app.post('/webhooks/github', () => ({ accepted: true }));
  app.get('/projects/:id', () => 'page');
  return app;
}

describe('with TLS on, the plain HTTP port', () => {
  it('sends pages and unknown paths to the same path on the HTTPS origin, with a 308 that keeps the method', async () => {
    const app = plainListener();
    for (const [method, url] of [
      ['GET', '/projects/3?tab=jobs'],
      ['POST', '/login'],
      ['GET', '/nowhere'],
    ] as const) {
      const answer = await app.inject({ method, url, headers: { host: 'attacker.example' } });
      expect(answer.statusCode).toBe(308);
      // The configured origin, whatever Host the request named.
      expect(answer.headers.location).toBe(`https://ci.example.com:8443${url}`);
    }
  });

  it('keeps to its own origin for an absolute-form request target', async () => {
    const answer = await plainListener().inject({ method: 'GET', url: 'http://attacker.example/login?x=1' });
    expect(answer.statusCode).toBe(308);
    expect(answer.headers.location).toBe('https://ci.example.com:8443/login?x=1');
  });

  it('answers only health probes itself: the API, webhooks and builders are sent to HTTPS too, and told nothing here', async () => {
    const app = plainListener();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    for (const url of ['/builder/v1/lease', '/api/v1/projects', '/webhooks/github']) {
      const answer = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer gyre_secret' } });
      expect(answer.statusCode).toBe(308);
      expect(answer.headers.location).toBe(`https://ci.example.com:8443${url}`);
      expect(answer.body).not.toContain('leases');
    }
  });
});

describe('the HTTPS listeners', () => {
  it('tell browsers to use HTTPS only, on every answer, errors included', async () => {
    const app = Fastify();
    requireHttpsFromNowOn(app);
    app.get('/healthz', () => ({ status: 'ok' }));
    for (const url of ['/healthz', '/missing'])
      expect((await app.inject({ method: 'GET', url })).headers['strict-transport-security']).toBe('max-age=15552000');
  });
});

describe('the HTTPS origin', () => {
  it("is the public URL's when that is HTTPS, else the host name on the HTTPS port", () => {
    expect(httpsOriginOf('https://ci.example.com/base', 'gyre.internal', 8443)).toBe('https://ci.example.com');
    expect(httpsOriginOf('http://gyre.internal', 'gyre.internal', 443)).toBe('https://gyre.internal');
    expect(httpsOriginOf('http://gyre.internal', 'gyre.internal', 8443)).toBe('https://gyre.internal:8443');
  });
});
