import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createDockerClient,
  DEFAULT_DOCKER_SOCKET,
  preflightDockerHost,
  resolveDockerHost,
} from '../../src/docker/index.js';
import { UnavailableError } from '../../src/shared/errors.js';

// GIVEN the local engine behind a TLS endpoint that, like `dockerd --tlsverify`, requires a
// client certificate signed by its CA, and certificates made with openssl for this run.
let dir: string;
let server: Server;
let url: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and a certificate signed by ca.pem, with the given extensions. */
function issue(name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    `${name}-cert.pem`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gyre-tls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=gyre test CA',
  );
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'other-ca-key.pem',
    '-out',
    'other-ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=someone else',
  );
  issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=gyre', 'extendedKeyUsage=clientAuth\n');
  const pem = (file: string) => readFileSync(join(dir, file));
  server = createServer(
    {
      key: pem('server-key.pem'),
      cert: pem('server-cert.pem'),
      ca: pem('ca.pem'),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const engine = connect(DEFAULT_DOCKER_SOCKET);
      socket.pipe(engine).pipe(socket);
      socket.on('error', () => engine.destroy());
      engine.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `tcp://localhost:${typeof address === 'object' && address !== null ? address.port : 0}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DOCKER_CONFIG: join(dir, 'docker-config') });
const flags = () => ({
  tlsCa: join(dir, 'ca.pem'),
  tlsCert: join(dir, 'client-cert.pem'),
  tlsKey: join(dir, 'client-key.pem'),
});

describe('a tcp:// Docker host with TLS', () => {
  it('passes the preflight and serves API calls with the TLS flags', async () => {
    const docker = createDockerClient(resolveDockerHost(url, env(), flags()));
    const facts = await preflightDockerHost(docker);
    expect(facts).toEqual(
      expect.objectContaining({ os: 'linux', cpus: expect.any(Number), memoryBytes: expect.any(Number) }),
    );
    await expect(docker.listImages('io.gyre.tls-test')).resolves.toEqual([]);
  });

  it('finds the files the Docker CLI way, from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const certs = join(dir, 'cert-path');
    mkdirSync(certs, { recursive: true });
    for (const [from, to] of [
      ['ca.pem', 'ca.pem'],
      ['client-cert.pem', 'cert.pem'],
      ['client-key.pem', 'key.pem'],
    ] as const)
      writeFileSync(join(certs, to), readFileSync(join(dir, from)));
    const cliEnv = { ...env(), DOCKER_HOST: url, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    await expect(
      preflightDockerHost(createDockerClient(resolveDockerHost(undefined, cliEnv), cliEnv)),
    ).resolves.toEqual(expect.objectContaining({ os: 'linux' }));
  });

  it('connects through a Docker context that holds the TLS files', async () => {
    const id = createHash('sha256').update('tls-builder').digest('hex');
    const config = env().DOCKER_CONFIG;
    mkdirSync(join(config, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(config, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'tls-builder', Metadata: {}, Endpoints: { docker: { Host: url, SkipTLSVerify: false } } }),
    );
    const tls = join(config, 'contexts', 'tls', id, 'docker');
    mkdirSync(tls, { recursive: true });
    for (const [from, to] of [
      ['ca.pem', 'ca.pem'],
      ['client-cert.pem', 'cert.pem'],
      ['client-key.pem', 'key.pem'],
    ] as const)
      writeFileSync(join(tls, to), readFileSync(join(dir, from)));
    const host = resolveDockerHost('tls-builder', env());
    expect(host.kind).toBe('context');
    await expect(preflightDockerHost(createDockerClient(host))).resolves.toEqual(
      expect.objectContaining({ os: 'linux' }),
    );
  });

  it('refuses an engine whose certificate another CA signed, naming the host and the CA file', async () => {
    const host = resolveDockerHost(url, env(), { ...flags(), tlsCa: join(dir, 'other-ca.pem') });
    const failure = preflightDockerHost(createDockerClient(host), { timeoutMs: 10_000 });
    await expect(failure).rejects.toThrow(UnavailableError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `^Docker host ${url} failed the TLS handshake while connecting .*signed by ${join(dir, 'other-ca.pem')}`,
      ),
    );
  });

  it('says to give a client certificate when the engine asks for one', async () => {
    const host = resolveDockerHost(url, env(), { tlsCa: join(dir, 'ca.pem') });
    await expect(preflightDockerHost(createDockerClient(host), { timeoutMs: 10_000 })).rejects.toThrow(
      /failed the TLS handshake.*give --tls-cert and --tls-key/,
    );
  });
});
