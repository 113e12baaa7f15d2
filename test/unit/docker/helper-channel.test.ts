import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { CHANNEL_PORT, openChannel } from '../../../src/docker/helper-channel.js';

// The builder's side of a helper's channel, against a local server in the helper's place.
let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
});

/** Listens where a helper's channel would, on a loopback address of its own; resolves to what the first client sent. */
function helperOn(address: string): Promise<string> {
  return new Promise((resolve) => {
    server = createServer((socket: Socket) => {
      let said = '';
      // The test's client goes away as soon as it has what it checks.
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.endsWith('\n')) {
          resolve(said);
          socket.end('data');
        }
      });
    }).listen(CHANNEL_PORT, address);
  });
}

describe('openChannel', () => {
  it('connects and sends the token first, as its own line', async () => {
    const heard = helperOn('127.0.0.21');
    const opened = await openChannel('127.0.0.21', 'b1f2', 2_000);
    expect(opened.reachable).toBe(true);
    expect(await heard).toBe('b1f2\n');
    opened.socket!.destroy();
  });

  it('tries again while the helper is not listening yet', async () => {
    const opening = openChannel('127.0.0.22', 'late', 3_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const heard = helperOn('127.0.0.22');
    const opened = await opening;
    expect(await heard).toBe('late\n');
    opened.socket!.destroy();
  });

  it('gives up after its time when nothing listens, saying the address answered (refused)', async () => {
    expect(await openChannel('127.0.0.23', 'nobody', 300)).toEqual({ reachable: true });
  });
});
