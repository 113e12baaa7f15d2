import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { makeSelfSignedCert, type SelfSignedCert } from '../support/self-signed-cert.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BUILDER_API_PREFIX } from '../../src/protocol/index.js';
import { freePort } from '../../src/testing/free-port.js';
import { startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startServicesApp, type ServicesApp } from '../support/services-app.js';
import { TEST_SECRETS } from '../support/services-under-test.js';

// GIVEN a self-signed certificate for 127.0.0.1 made with openssl, and the services app on a real
// PostgreSQL started with GYRE_TLS_CERT_FILE, GYRE_TLS_KEY_FILE and GYRE_HTTPS_PORT set.
let database: TestDatabase;
let app: ServicesApp;
let cert: SelfSignedCert;
let ca: string;
let httpsPort: number;
let httpsBase: string;

interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly fingerprint256: string;
}

/** One HTTPS request with node:https; `ca` is the only certificate authority trusted (none: the system's). */
function httpsCall(
  path: string,
  options: { ca?: string; method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const outgoing = request(
      `${httpsBase}${path}`,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { ...options.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(options.ca !== undefined && { ca: options.ca }),
      },
      (incoming) => {
        const fingerprint256 = (incoming.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.once('end', () => resolve({ status: incoming.statusCode ?? 0, body: text, fingerprint256 }));
        incoming.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

beforeAll(async () => {
  cert = makeSelfSignedCert();
  ca = readFileSync(cert.certFile, 'utf8');
  httpsPort = await freePort();
  httpsBase = `https://127.0.0.1:${httpsPort}`;
  database = await startTestDatabase();
  app = await startServicesApp(database.url, {
    values: {
      GYRE_TLS_CERT_FILE: cert.certFile,
      GYRE_TLS_KEY_FILE: cert.keyFile,
      GYRE_HTTPS_PORT: String(httpsPort),
    },
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await database?.stop();
  cert?.remove();
}, 60_000);

describe('the HTTPS listener', () => {
  it('answers /healthz with 200 on GYRE_HTTPS_PORT, presenting the configured certificate', async () => {
    expect(app.services.addresses.userTls).toBe(httpsBase);
    const health = await httpsCall('/healthz', { ca });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', database: { state: 'up' } });
    expect(health.fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
  });

  it('serves the API with a token, refuses it without one, and shares its data with the HTTP listener', async () => {
    const bearer = { authorization: `Bearer ${app.token}` };
    expect((await httpsCall('/api/v1/projects', { ca })).status).toBe(401);
    const created = await httpsCall('/api/v1/projects', {
      ca,
      headers: bearer,
      body: { name: 'tls/p', gitUrl: 'https://git.example.com/tls.git' },
    });
    expect(created.status).toBe(201);
    const { id } = JSON.parse(created.body) as { id: number };
    const overHttps = await httpsCall(`/api/v1/projects/${id}`, { ca, headers: bearer });
    expect(overHttps.status).toBe(200);
    expect(JSON.parse(overHttps.body)).toMatchObject({ id, name: 'tls/p' });
    const overHttp = await app.api(`/api/v1/projects/${id}`);
    expect(overHttp.status).toBe(200);
    expect(await overHttp.json()).toMatchObject({ id, name: 'tls/p' });
  });

  it('serves the builder protocol: a builder joins over HTTPS', async () => {
    const joined = await httpsCall(`${BUILDER_API_PREFIX}/register`, {
      ca,
      headers: { authorization: `Join ${TEST_SECRETS.GYRE_JOIN_SECRET}` },
      body: {
        facts: {
          name: 'tls-builder',
          host: 'h',
          cpus: 4,
          memoryBytes: 8 * 1024 ** 3,
          dockerVersion: '20.10',
          version: 'test',
          slots: 1,
          slotCpus: 2,
          slotMemoryBytes: 4 * 1024 ** 3,
        },
      },
    });
    expect(joined.status).toBe(201);
    expect(JSON.parse(joined.body)).toMatchObject({ state: 'active', credential: expect.any(String) });
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(httpsCall('/healthz')).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('keeps serving plain HTTP on GYRE_HTTP_PORT', async () => {
    const health = await fetch(`${app.base}/healthz`);
    expect(health.status).toBe(200);
  });

  it('is not opened when no certificate is set', async () => {
    const plain = await startServicesApp(database.url, { token: app.token });
    try {
      expect(plain.services.addresses.userTls).toBeUndefined();
      expect((await plain.api('/api/v1/projects')).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});
