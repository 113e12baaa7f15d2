import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  GyreClient,
  MalformedAnswerError,
  RequestRefusedError,
  TokenRefusedError,
} from '../../../src/client/gyre-client.js';
import { NotFoundError, UnavailableError } from '../../../src/shared/errors.js';

// GIVEN a stand-in for the services box answering every request alike, and the client pointed at it.
let server: Server | undefined;

async function answering(status: number, body: unknown): Promise<GyreClient> {
  server = createServer((_request, response) =>
    response
      .writeHead(status, { 'content-type': 'application/json' })
      .end(typeof body === 'string' ? body : JSON.stringify(body)),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new GyreClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'gyre_pat_test');
}

/** Stops the stand-in, its kept-alive connections included. */
async function stop(): Promise<void> {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
}

afterEach(stop);

const queue = {
  depth: 1,
  oldestQueuedAt: '2026-12-04T00:00:00.000Z',
  items: [{ jobId: 3, name: 'build', queuedAt: '2026-12-04T00:00:00.000Z', waitingBecause: 'no builder' }],
};

describe('GyreClient', () => {
  it('reads an answer that matches the API contract, keeping fields a newer server adds', async () => {
    const client = await answering(200, { ...queue, items: [{ ...queue.items[0], priority: 1 }] });
    await expect(client.queue()).resolves.toEqual({ ...queue, items: [{ ...queue.items[0], priority: 1 }] });
  });

  it('refuses an answer that breaks the contract, naming the field', async () => {
    const client = await answering(200, { ...queue, depth: 'one' });
    const read = client.queue();
    await expect(read).rejects.toBeInstanceOf(MalformedAnswerError);
    await expect(read).rejects.toThrow(
      /asked GET \/api\/v1\/queue, answered with something this client cannot read: depth: /,
    );
  });

  it('tells a refused token, a missing thing, refused input and an unavailable server apart', async () => {
    await expect(
      (await answering(401, { error: { code: 'unauthenticated', message: 'unknown token' } })).queue(),
    ).rejects.toBeInstanceOf(TokenRefusedError);
    await stop();
    await expect(
      (await answering(404, { error: { code: 'not_found', message: 'pipeline 9 does not exist' } })).pipeline(9),
    ).rejects.toBeInstanceOf(NotFoundError);
    await stop();
    const refused = (
      await answering(400, {
        error: { code: 'invalid_input', message: 'bad', details: [{ input: 'body/name', message: 'must be letters' }] },
      })
    ).createProject({ name: '-', gitUrl: 'x' });
    await expect(refused).rejects.toBeInstanceOf(RequestRefusedError);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      body: { error: { details: [{ input: 'body/name' }] } },
    });
    await stop();
    await expect((await answering(502, '<html>Bad gateway</html>')).queue()).rejects.toBeInstanceOf(UnavailableError);
  });

  it('does not follow a redirect (its token would be dropped), and says to save the new address', async () => {
    let requests = 0;
    server = createServer((request, response) => {
      requests += 1;
      response.writeHead(308, { location: `https://localhost:8443${request.url}` }).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new GyreClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'gyre_pat_test');
    const moved = client.queue();
    await expect(moved).rejects.toMatchObject({ status: 308 });
    await expect(moved).rejects.toThrow(
      /sends GET \/api\/v1\/queue to https:\/\/localhost:8443\/api\/v1\/queue: the services box has HTTPS on, or moved; run `gyre up` again/,
    );
    expect(requests).toBe(1);
  });

  it('says the server did not answer when nothing listens', async () => {
    const client = await answering(200, queue);
    await stop();
    server = undefined;
    await expect(client.queue()).rejects.toThrow(/did not answer GET \/api\/v1\/queue .*is the services stack up/);
  });
});
