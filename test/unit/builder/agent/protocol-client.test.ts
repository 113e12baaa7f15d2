import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BuilderRevokedError,
  CredentialRefusedError,
  MalformedReplyError,
  ProtocolClient,
  RequestRefusedError,
  StaleLeaseError,
  certificateRefusal,
} from '../../../../src/builder/agent/protocol-client.js';
import { BUILDER_REVOKED_CODE, type RegisterRequest } from '../../../../src/protocol/index.js';
import { ExitCode, UnavailableError } from '../../../../src/shared/errors.js';

// A stand-in for the services box (or for a proxy in front of it) answering every request alike.
let server: Server | undefined;

async function answering(status: number, body: string): Promise<ProtocolClient> {
  server = createServer((_request, response) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(body),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new ProtocolClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

const request: RegisterRequest = {
  facts: {
    name: 'b',
    host: 'h',
    cpus: 2,
    memoryBytes: 1,
    dockerVersion: '27',
    version: 't',
    slots: 1,
    dockerInBuilds: 'off',
    slotCpus: 0,
    slotMemoryBytes: 1,
  },
};

afterEach(async () => {
  // A test that started no server has nothing to close (and close's callback would never come).
  const started = server;
  if (started) await new Promise((resolve) => started.close(resolve));
  server = undefined;
});

describe('ProtocolClient: what a refusal means', () => {
  it("takes a 403 with the revoked code for a revocation, with the services box's message", async () => {
    const client = await answering(
      403,
      JSON.stringify({ error: { code: BUILDER_REVOKED_CODE, message: 'builder b was revoked by an administrator' } }),
    );
    const refusal = client.register('secret', request);
    await expect(refusal).rejects.toBeInstanceOf(BuilderRevokedError);
    await expect(refusal).rejects.toThrow(/^builder b was revoked by an administrator$/);
  });

  it("does not take any other 403 (a proxy's, say) for a revocation", async () => {
    const client = await answering(403, '<html>Forbidden by policy</html>');
    const refusal = client.register('secret', request);
    await expect(refusal).rejects.toBeInstanceOf(RequestRefusedError);
    await expect(refusal).rejects.not.toBeInstanceOf(CredentialRefusedError);
  });

  it("takes a 2xx that is not JSON (a proxy's page) for no answer, so the call is retried", async () => {
    const client = await answering(200, '<html>Welcome</html>');
    const refusal = client.register('secret', request);
    await expect(refusal).rejects.toBeInstanceOf(UnavailableError);
    await expect(refusal).rejects.toThrow(
      /asked POST \/register, did not answer with JSON but with "<html>Welcome<\/html>"/,
    );
  });

  it('maps 401 to a refused credential', async () => {
    await expect(
      (await answering(401, '{"error":{"code":"unauthenticated","message":"unknown"}}')).register('s', request),
    ).rejects.toBeInstanceOf(CredentialRefusedError);
  });

  it('says a services box that turned HTTPS on moved there, and refuses to start on the plain address', async () => {
    server = createServer((request, response) =>
      response.writeHead(308, { location: `https://ci.example.com:8443${request.url}` }).end(),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new ProtocolClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const registration = client.register('secret', request);
    await expect(registration).rejects.toMatchObject({ exitCode: ExitCode.invalidInput });
    await expect(registration).rejects.toThrow(
      /has HTTPS on and sends builders to https:\/\/ci\.example\.com:8443; set GYRE_SERVICES_URL=https:\/\/ci\.example\.com:8443 /,
    );
    await expect(registration).rejects.not.toBeInstanceOf(CredentialRefusedError);
  });

  it('maps 409 to a stale lease', async () => {
    await expect(
      (await answering(409, '{"error":{"code":"conflict","message":"stale"}}')).register('s', request),
    ).rejects.toBeInstanceOf(StaleLeaseError);
  });
});

describe('ProtocolClient: what a reply must hold', () => {
  /** A client registered against a server that answers registration, then `lease` with `leaseReply`. */
  async function registeredClient(leaseReply: unknown): Promise<ProtocolClient> {
    server = createServer((incoming, response) => {
      const body = incoming.url?.endsWith('/register')
        ? { builderId: 7, credential: 'c', state: 'active' }
        : leaseReply;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new ProtocolClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await client.register('secret', request);
    return client;
  }

  const goodLease = {
    jobId: 1,
    attempt: 1,
    leaseId: '9a3e3c6e-8f7c-4e8a-9b6f-2f3c2d1e0a11',
    expiresAt: '2026-12-04T00:00:00.000Z',
    spec: {
      docker: { primary: { image: 'debian:bookworm-slim', environment: {} }, services: [] },
      resourceClass: { name: 'medium', cpus: 2, memoryMiB: 4096 },
      workingDirectory: '~/project',
      environment: {},
      steps: [{ type: 'checkout' }],
    },
    context: {
      projectId: 1,
      projectName: 'p',
      gitUrl: 'https://git.example/p.git',
      sha: 'a'.repeat(40),
      branch: 'main',
      tag: null,
      pipelineNumber: 1,
      workflowName: 'w',
      jobName: 'j',
      buildUrl: 'http://gyre/jobs/1',
    },
    variables: {},
  };
  const status = { state: 'active', drainDeadline: null };

  it('reads a well-formed lease reply', async () => {
    const client = await registeredClient({ leases: [goodLease], builder: status });
    await expect(client.lease({ max: 1, waitSeconds: 0 })).resolves.toEqual({ leases: [goodLease], builder: status });
  });

  it('refuses a malformed lease reply with an error that names the field', async () => {
    const broken = {
      ...goodLease,
      spec: { ...goodLease.spec, docker: { primary: { environment: {} }, services: [] } },
    };
    const client = await registeredClient({ leases: [broken], builder: status });
    const refusal = client.lease({ max: 1, waitSeconds: 0 });
    await expect(refusal).rejects.toBeInstanceOf(MalformedReplyError);
    await expect(refusal).rejects.toThrow(
      /asked POST \/lease, answered with a reply this agent cannot read: leases\.0\.spec\.docker\.primary\.image: .*expected string/,
    );
  });

  it('ignores fields it does not know, so a newer services box may add some', async () => {
    const client = await registeredClient({ leases: [], builder: { ...status, since: 'later' }, hint: 'new' });
    await expect(client.lease({ max: 1, waitSeconds: 0 })).resolves.toEqual({ leases: [], builder: status });
  });
});

describe('ProtocolClient: a certificate the builder does not accept', () => {
  /** What fetch throws for a TLS refusal: "fetch failed", caused by the socket's error with its code. */
  const fetchFailure = (code: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(`tls: ${code}`), { code }) });

  it('names the code and the fix that fits it, and nothing for other failures', () => {
    const url = 'https://ci.example.com';
    expect(certificateRefusal(fetchFailure('DEPTH_ZERO_SELF_SIGNED_CERT'), url)).toBe(
      'the services box at https://ci.example.com presented a certificate this builder does not accept (DEPTH_ZERO_SELF_SIGNED_CERT); set GYRE_SERVICES_CA_FILE to the certificate authority that signed it, or to the certificate itself when it is self-signed (gyre builder join --services-ca FILE)',
    );
    expect(certificateRefusal(fetchFailure('CERT_HAS_EXPIRED'), url)).toMatch(/renew the services box's certificate$/);
    expect(certificateRefusal(fetchFailure('ERR_TLS_CERT_ALTNAME_INVALID'), url)).toMatch(/GYRE_SERVICES_URL/);
    expect(certificateRefusal(fetchFailure('ECONNREFUSED'), url)).toBeUndefined();
    expect(certificateRefusal(new Error('no code'), url)).toBeUndefined();
  });
});
