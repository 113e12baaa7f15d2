/**
 * The agent's API on the builder box itself (loopback only): the Compose health check reads
 * `/healthz`, and `gyre agent drain` posts to `/drain`.
 *
 * Plain `node:http` rather than the web framework the services app uses: two fixed routes with
 * no body to read, and the agent runs for as long as the builder does, so it does not carry the
 * framework's memory (issue 21).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** Listens on 127.0.0.1:`port` (0 picks a free port). */
export async function startLocalApi(target: LocalApiTarget, port: number): Promise<LocalApi> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/healthz') answer(response, 200, { status: 'ok', ...target.status() });
    else if (request.method === 'POST' && path === '/drain') {
      target.drain();
      answer(response, 202, target.status());
    } else
      answer(response, 404, {
        error: {
          code: 'not_found',
          message: `${request.method} ${path} is not an agent route: GET /healthz, POST /drain`,
        },
      });
    // A body sent anyway is read to its end, so the connection can be reused.
    request.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
