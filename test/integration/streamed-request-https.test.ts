import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { makeSelfSignedCert, type SelfSignedCert } from '../support/self-signed-cert.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../src/shared/package-files.js';

// GIVEN an HTTPS server whose certificate (made with openssl) only NODE_EXTRA_CA_CERTS names, as
// a services box or blob store behind GYRE_EXTRA_CA_CERTS_FILE is, WHEN the built agent's
// streamed request sends it a body in a process of its own (the variable is read at start), THEN
// the body arrives whole when the variable names the certificate, and the request fails naming
// the certificate when it does not.

const MiB = 1024 * 1024;
let cert: SelfSignedCert;
let server: Server;
let url: string;

beforeAll(async () => {
  cert = makeSelfSignedCert();
  server = createServer(
    { key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) },
    (incoming, response) => {
      const hash = createHash('sha256');
      let bytes = 0;
      incoming.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      incoming.on('end', () => {
        const chunked = incoming.headers['transfer-encoding'] === 'chunked';
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ bytes, sha256: hash.digest('hex'), chunked }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  cert?.remove();
});

/** The body the child sends: `size` bytes made as read, chunk `i` all of byte `i % 256`. */
const CHILD = `
import { Readable } from 'node:stream';
const [moduleUrl, url, size] = process.argv.slice(1);
const { sendStreamed } = await import(moduleUrl);
let made = 0;
const body = new Readable({
  read() {
    if (made >= Number(size)) return void this.push(null);
    const chunk = Buffer.alloc(65536, made / 65536);
    made += chunk.length;
    this.push(chunk);
  },
});
try {
  const answer = await sendStreamed(url, { method: 'PUT', headers: { 'content-length': size }, body });
  console.log(JSON.stringify({ status: answer.status, text: answer.text }));
} catch (error) {
  console.log(JSON.stringify({ failed: error.message }));
}
`;

function expectedSha256(size: number): string {
  const hash = createHash('sha256');
  for (let made = 0; made < size; made += 65536) hash.update(Buffer.alloc(65536, made / 65536));
  return hash.digest('hex');
}

/** Runs the child with the built dist/builder/agent/streamed-request.js; `ca` sets NODE_EXTRA_CA_CERTS. */
async function uploadFromChild(size: number, ca: string | undefined): Promise<Record<string, unknown>> {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...env } = process.env;
  const dist = (path: string) => pathToFileURL(join(packageRoot, 'dist', path)).href;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', CHILD, dist('builder/agent/streamed-request.js'), url, String(size)],
    { env: { ...env, ...(ca !== undefined && { NODE_EXTRA_CA_CERTS: ca }) } },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('streamed requests over HTTPS', () => {
  it('trust the certificate NODE_EXTRA_CA_CERTS names and send a body of known length whole, unchunked', async () => {
    const size = 32 * MiB;
    const answer = await uploadFromChild(size, cert.certFile);
    expect(answer['status']).toBe(201);
    expect(JSON.parse(answer['text'] as string)).toEqual({
      bytes: size,
      sha256: expectedSha256(size),
      chunked: false,
    });
  }, 60_000);

  it('fail, naming the certificate, when no certificate authority vouches for it', async () => {
    expect(await uploadFromChild(MiB, undefined)).toEqual({ failed: expect.stringMatching(/self-signed certificate/) });
  }, 60_000);
});
