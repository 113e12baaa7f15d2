import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/testing/free-port.js';
import { spawnAgent } from '../support/agent-under-test.js';
import { httpsRequest } from '../support/https-request.js';
import { startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeSelfSignedCert, type SelfSignedCert } from '../support/self-signed-cert.js';
import { startServicesApp, type ServicesApp } from '../support/services-app.js';
import { until } from '../support/until.js';

// GIVEN the services app with HTTPS on, its certificate self-signed for 127.0.0.1, and another
// self-signed certificate for the same address that did not sign it.
let database: TestDatabase;
let app: ServicesApp;
let cert: SelfSignedCert;
let stranger: SelfSignedCert;
let httpsBase: string;

beforeAll(async () => {
  cert = makeSelfSignedCert();
  stranger = makeSelfSignedCert();
  const httpsPort = await freePort();
  httpsBase = `https://127.0.0.1:${httpsPort}`;
  database = await startTestDatabase();
  app = await startServicesApp(database.url, {
    values: { GYRE_TLS_CERT_FILE: cert.certFile, GYRE_TLS_KEY_FILE: cert.keyFile, GYRE_HTTPS_PORT: String(httpsPort) },
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  await database?.stop();
  cert?.remove();
  stranger?.remove();
}, 60_000);

/** The builders the API lists, asked over HTTPS (plain HTTP now redirects there). */
async function builders(): Promise<{ name: string; state: string }[]> {
  const answer = await httpsRequest(`${httpsBase}/api/v1/builders`, {
    ca: readFileSync(cert.certFile, 'utf8'),
    headers: { authorization: `Bearer ${app.token}` },
  });
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { items: { name: string; state: string }[] }).items;
}

describe('a builder and a services box on HTTPS', () => {
  it('joins over HTTPS when GYRE_SERVICES_CA_FILE names the certificate that vouches for the box', async () => {
    const agent = await spawnAgent(httpsBase, 'https-builder', mkdtempSync(join(tmpdir(), 'gyre-agent-')), {
      GYRE_SERVICES_CA_FILE: cert.certFile,
    });
    try {
      await until('the builder to register over HTTPS', async () =>
        (await builders()).some((b) => b.name === 'https-builder' && b.state === 'active'),
      );
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  }, 120_000);

  it('refuses to join with a CA that did not sign the certificate, at once, saying what to set', async () => {
    const agent = await spawnAgent(httpsBase, 'wrong-ca-builder', mkdtempSync(join(tmpdir(), 'gyre-agent-')), {
      GYRE_SERVICES_CA_FILE: stranger.certFile,
    });
    // Exit code 2: a setting is wrong; the stack's restart policy would only repeat the refusal.
    expect(await agent.exited).toBe(2);
    expect(agent.output()).toContain(
      `the services box at ${httpsBase} presented a certificate this builder does not accept (DEPTH_ZERO_SELF_SIGNED_CERT); set GYRE_SERVICES_CA_FILE`,
    );
    expect((await builders()).map((b) => b.name)).not.toContain('wrong-ca-builder');
  }, 120_000);
});
