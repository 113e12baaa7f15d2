import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { registerRequestLog, ROUTINE } from '../../../../src/services/http/request-log.js';

/** A listener like the services app's, logging at `level` into an array of parsed lines. */
function appLoggingAt(level: string) {
  type Line = { level: number; msg: string; url?: string; statusCode?: number };
  const lines: Line[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  const logger: FastifyBaseLogger = pino({ level }, sink);
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
  registerRequestLog(app);
  app.post('/lease', { config: ROUTINE }, () => ({ leases: [] }));
  app.post('/stale', { config: ROUTINE }, (_request, reply) => reply.code(409).send({ error: 'stale' }));
  app.post('/projects', () => ({ id: 1 }));
  app.put('/jobs/:id/caches/:key', { config: { unloggedParams: ['key'] } }, () => ({ saved: true }));
  return { app, lines };
}

describe('request logging', () => {
  it('writes nothing at info for routine traffic that succeeds', async () => {
    const { app, lines } = appLoggingAt('info');
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'POST', url: '/lease' })).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('logs routine traffic at debug, one line per request', async () => {
    const { app, lines } = appLoggingAt('debug');
    await app.inject({ method: 'POST', url: '/lease' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, msg: 'request answered', url: '/lease', statusCode: 200 }),
    ]);
  });

  it('logs a refused routine request and every other request at info', async () => {
    const { app, lines } = appLoggingAt('info');
    await app.inject({ method: 'POST', url: '/stale' });
    await app.inject({ method: 'POST', url: '/projects' });
    expect(lines.map((line) => [line.level, line.url, line.statusCode])).toEqual([
      [30, '/stale', 409],
      [30, '/projects', 200],
    ]);
  });

  it('keeps a path parameter the route marks out of the log, and logs the others and the query', async () => {
    const { app, lines } = appLoggingAt('info');
    const key = encodeURIComponent('deps-v1-s3cr3t-token-value');
    await app.inject({ method: 'PUT', url: `/jobs/42/caches/${key}?attempt=1` });
    expect(lines.map((line) => line.url)).toEqual(['/jobs/42/caches/:key?attempt=1']);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t');
  });
});
