import { createServer, request as forward, type Server } from 'node:http';

/**
 * A plain HTTP forwarder that counts requests by path, so a test can observe how often a real
 * client (the agent) calls the services app without reading either side's logs.
 */
export class CountingProxy {
  private constructor(
    private readonly server: Server,
    private readonly counts: Map<string, number>,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<CountingProxy> {
    const upstream = new URL(target);
    const counts = new Map<string, number>();
    const server = createServer((incoming, outgoing) => {
      const path = (incoming.url ?? '/').split('?')[0]!;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      const out = forward(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      out.on('error', () => outgoing.destroy());
      incoming.pipe(out);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the counting proxy has no address');
    return new CountingProxy(server, counts, `http://127.0.0.1:${address.port}`);
  }

  /** How many requests for `path` passed so far. */
  count(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** How many requests passed so far, for any path. */
  total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
