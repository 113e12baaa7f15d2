/**
 * Free TCP ports for the environment's listeners. Asked of every interface (0.0.0.0), so the port
 * is free on loopback, where the services box publishes, and on the Docker bridge, where the git
 * server listens.
 */
import { createServer } from 'node:net';

/** A TCP port that no one listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('the operating system gave no free TCP port')),
      );
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
