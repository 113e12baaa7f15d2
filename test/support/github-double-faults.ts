/**
 * A flaky front for the GitHub test double: a small HTTP proxy that answers the next `n` commit
 * status posts with 500 (as GitHub does during an incident) and forwards everything else to the
 * double unchanged. Point Gyre's API URL at `apiUrl` to use it; the double's `.statuses` records
 * only the posts that got through.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { GitHubDouble } from './github-double.js';

export interface FlakyGitHub {
  /** The proxy's API URL, like the double's (`…/api/v3`). */
  readonly apiUrl: string;
  /** Status posts answered 500 so far. */
  readonly refused: number;
  /** Answers the next `n` status posts with 500. */
  failNext(n: number): void;
  stop(): Promise<void>;
}

const STATUS_POST = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/;

export async function startFlakyGitHub(double: GitHubDouble): Promise<FlakyGitHub> {
  let failures = 0;
  let refused = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = new URL(request.url ?? '/', 'http://proxy').pathname;
      if (request.method === 'POST' && STATUS_POST.test(path) && failures > 0) {
        failures -= 1;
        refused += 1;
        response
          .writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
          .end(JSON.stringify({ message: 'Server Error' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
          headers[name] = value;
      const answer = await fetch(`${double.baseUrl}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 && { body }),
      });
      // GitHub's own headers (X-OAuth-Scopes, rate limits) pass through; the framing is this answer's own.
      const answered: Record<string, string> = {};
      for (const [name, value] of answer.headers)
        if (!['connection', 'content-length', 'content-encoding', 'transfer-encoding', 'keep-alive'].includes(name))
          answered[name] = value;
      response.writeHead(answer.status, answered).end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => response.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the flaky GitHub proxy did not get a TCP port');
  return {
    apiUrl: `http://127.0.0.1:${address.port}/api/v3`,
    get refused() {
      return refused;
    },
    failNext: (n) => {
      failures = n;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}
