import { createServer, request as forward, type Server } from 'node:http';

/** One request that passed, with the status the upstream answered. */
export interface RecordedCall {
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  readonly status: number;
}

/**
 * A plain HTTP forwarder that observes a real client (the agent, say) without reading either
 * side's logs: it counts requests by path as they arrive (a long-poll counts while it waits), and
 * records each answered request (method, path, status) when the upstream's answer starts, in that
 * order.
 */
export class RecordingProxy {
  private constructor(
    private readonly server: Server,
    private readonly recorded: RecordedCall[],
    private readonly arrivals: Map<string, number>,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<RecordingProxy> {
    const upstream = new URL(target);
    const recorded: RecordedCall[] = [];
    const arrivals = new Map<string, number>();
    const server = createServer((incoming, outgoing) => {
      const method = incoming.method ?? 'GET';
      const path = (incoming.url ?? '/').split('?')[0]!;
      arrivals.set(path, (arrivals.get(path) ?? 0) + 1);
      const out = forward(
        { host: upstream.hostname, port: upstream.port, method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          recorded.push({ method, path, status: answer.statusCode ?? 502 });
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      out.on('error', () => outgoing.destroy());
      incoming.pipe(out);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the recording proxy has no address');
    return new RecordingProxy(server, recorded, arrivals, `http://127.0.0.1:${address.port}`);
  }

  /** Every call answered so far, in the order the answers came. */
  calls(): readonly RecordedCall[] {
    return [...this.recorded];
  }

  /** How many requests for `path` arrived so far, answered or not. */
  count(path: string): number {
    return this.arrivals.get(path) ?? 0;
  }

  /** How many requests arrived so far, for any path. */
  total(): number {
    return [...this.arrivals.values()].reduce((sum, n) => sum + n, 0);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
