/**
 * The agent's API on the builder box itself (loopback only): the Compose health check reads
 * `/healthz`, and `gyre agent drain` posts to `/drain`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AgentStatus } from './agent.js';

export interface LocalApiTarget {
  status(): AgentStatus;
  drain(): void;
}

export interface LocalApi {
  /** e.g. `http://127.0.0.1:7623` */
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 picks a free port). */
export async function startLocalApi(target: LocalApiTarget, port: number): Promise<LocalApi> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/healthz', () => ({ status: 'ok', ...target.status() }));
  app.post('/drain', (_request, reply) => {
    target.drain();
    return reply.code(202).send(target.status());
  });
  const url = await app.listen({ host: '127.0.0.1', port });
  return { url, close: () => app.close() };
}
