import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { httpsRequest, type HttpsCallOptions } from '../support/https-request.js';
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

/** One HTTPS request to the user listener (or `base`). */
const httpsCall = (path: string, options: HttpsCallOptions & { base?: string } = {}) =>
  httpsRequest(`${options.base ?? httpsBase}${path}`, options);

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
  });

  it('serves the admin console over HTTPS only, with the same certificate', async () => {
    const adminBase = app.services.addresses.admin;
    expect(adminBase).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsCall('/healthz', { ca, base: adminBase });
    expect(health.status).toBe(200);
    expect(health.fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
    const login = await httpsCall('/login', { ca, base: adminBase });
    expect(login.status).toBe(200);
    // Plain HTTP on the admin port gets no answer.
    await expect(fetch(`${adminBase.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
  });

  it('tells browsers to keep to HTTPS, and sets its cookies Secure', async () => {
    const login = await httpsCall('/login', { ca });
    expect(login.status).toBe(200);
    expect(login.headers['strict-transport-security']).toBe('max-age=15552000');
    const cookies = [login.headers['set-cookie'] ?? []].flat();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure/);
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

  it('sends everything on GYRE_HTTP_PORT to HTTPS but health probes: pages, the API and the builder protocol alike', async () => {
    const health = await fetch(`${app.base}/healthz`);
    expect(health.status).toBe(200);
    for (const path of ['/', '/projects?tab=all', '/login', '/api/v1/projects']) {
      const answer = await fetch(`${app.base}${path}`, {
        headers: { authorization: `Bearer ${app.token}` },
        redirect: 'manual',
      });
      expect(answer.status).toBe(308);
      expect(answer.headers.get('location')).toBe(`https://localhost:${httpsPort}${path}`);
    }
    const check = await fetch(`${app.base}${BUILDER_API_PREFIX}/join-secret/check`, {
      method: 'POST',
      headers: { authorization: 'Join not-the-secret' },
      redirect: 'manual',
    });
    expect(check.status).toBe(308);
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
