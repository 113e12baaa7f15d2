import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sendStreamed } from '../../../../src/builder/agent/streamed-request.js';

// GIVEN an HTTP server on this machine that counts what it is sent, WHEN the agent's streamed
// request sends large bodies to it, THEN everything arrives and the sender holds only what is in
// flight (the defect it replaces: fetch kept every chunk of a request body until the end).

const MIB = 1024 * 1024;
setFlagsFromString('--expose-gc');
/** A full garbage collection, so that what is measured is what is still held. */
const collectGarbage = runInNewContext('gc') as () => void;
let server: Server;
let base: string;

/** Answers `{"bytes": n}` after reading the whole body; `/refuse` answers 409 without reading it. */
function handle(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === '/refuse') {
    response.writeHead(409, { 'content-type': 'application/json', connection: 'close' });
    response.end('{"error":"stale lease"}');
    return;
  }
  let bytes = 0;
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => response.end(JSON.stringify({ bytes, length: request.headers['content-length'] ?? null })));
}

/**
 * `total` bytes in fresh 1 MiB buffers, each written to (so its pages are resident), calling
 * `sample` with the bytes sent so far before each: a sender that kept them would grow by the
 * whole body.
 */
function freshChunks(total: number, sample: (sent: number) => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      sample(sent);
      if (sent >= total) return void this.push(null);
      const chunk = Buffer.alloc(MIB, sent / MIB);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('sendStreamed', () => {
  it('sends a 384 MiB body whole while holding only a few MiB of it', async () => {
    const total = 384 * MIB;
    collectGarbage();
    const before = process.memoryUsage().arrayBuffers;
    let held = 0;
    // Every 64 MiB, what is still held once garbage is collected.
    const sample = (sent: number) => {
      if (sent === 0 || sent % (64 * MIB) !== 0) return;
      collectGarbage();
      held = Math.max(held, process.memoryUsage().arrayBuffers - before);
    };
    const answer = await sendStreamed(`${base}/count`, {
      method: 'PUT',
      headers: {},
      body: freshChunks(total, sample),
    });
    expect(answer).toEqual({ status: 200, text: JSON.stringify({ bytes: total, length: null }) });
    // fetch with the same body held what it had sent (about 320 MiB at the last sample, growing by
    // 64 MiB per sample); streaming holds what is in flight between this sender and the server in
    // the same process, 2 to 40 MiB in runs here, whatever the body's size.
    expect(held / MIB).toBeLessThan(96);
    // Moving 384 MiB takes seconds when other test files share the two cores.
  }, 60_000);

  it('sends no body with the headers given', async () => {
    const answer = await sendStreamed(`${base}/count`, { method: 'PUT', headers: { 'content-length': '0' } });
    expect(answer).toEqual({ status: 200, text: JSON.stringify({ bytes: 0, length: '0' }) });
  });

  it('answers a refusal that comes before the body is read, without failing on the unsent rest', async () => {
    const answer = await sendStreamed(`${base}/refuse`, {
      method: 'PUT',
      headers: {},
      body: freshChunks(64 * MIB, () => undefined),
    });
    expect(answer).toEqual({ status: 409, text: '{"error":"stale lease"}' });
  });

  it('rejects when the body fails to read, naming why', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('the tar stream broke'));
      },
    });
    await expect(sendStreamed(`${base}/count`, { method: 'PUT', headers: {}, body: failing })).rejects.toThrow(
      'the tar stream broke',
    );
  });

  it('rejects when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(sendStreamed(`http://127.0.0.1:${port}/`, { method: 'PUT', headers: {} })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
