import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { composeEnvironment, type ComposeEnvironment } from '../../../src/docker/compose-environment.js';
import type { DockerHost } from '../../../src/docker/host.js';
import { TempDir } from './docker-config-fixture.js';

let temp: TempDir;
/** Environments made by a test, disposed after it even when it fails. */
let made: ComposeEnvironment[];
beforeEach(() => {
  temp = new TempDir();
  made = [];
});
afterEach(() => {
  for (const environment of made) environment.dispose();
  temp.remove();
});

function environmentFor(host: DockerHost): ComposeEnvironment {
  const environment = composeEnvironment(host);
  made.push(environment);
  return environment;
}

describe('composeEnvironment: hosts that need no files', () => {
  it.each<{ case: string; host: DockerHost; env: Record<string, string> }>([
    {
      case: 'a Unix socket',
      host: { kind: 'unix', socketPath: '/var/run/docker.sock' },
      env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
    },
    {
      case: 'plain TCP',
      host: { kind: 'tcp', address: '10.250.1.2', port: 2375 },
      env: { DOCKER_HOST: 'tcp://10.250.1.2:2375' },
    },
    {
      case: 'plain TCP over IPv6',
      host: { kind: 'tcp', address: 'fd00::2', port: 2375 },
      env: { DOCKER_HOST: 'tcp://[fd00::2]:2375' },
    },
    {
      case: 'ssh with a user and port',
      host: { kind: 'ssh', user: 'ci', address: 'builder-1', port: 2222 },
      env: { DOCKER_HOST: 'ssh://ci@builder-1:2222' },
    },
    {
      case: 'ssh on the default port',
      host: { kind: 'ssh', address: 'builder-1', port: 22 },
      env: { DOCKER_HOST: 'ssh://builder-1' },
    },
  ])('points Compose at $case with DOCKER_HOST alone', ({ host, env }) => {
    const environment = environmentFor(host);

    expect(environment.env).toEqual(env);
    expect(() => environment.dispose()).not.toThrow();
  });

  it('points Compose at a context by its name alone, leaving its endpoint and TLS to the Docker CLI', () => {
    const environment = environmentFor({
      kind: 'context',
      name: 'prod-builder',
      endpoint: {
        kind: 'tcp',
        address: '10.0.0.9',
        port: 2376,
        tls: { caFile: '/ctx/ca.pem', certFile: '/ctx/cert.pem', keyFile: '/ctx/key.pem', verify: true },
      },
    });

    expect(environment.env).toEqual({ DOCKER_CONTEXT: 'prod-builder' });
  });
});

describe('composeEnvironment: TCP with TLS', () => {
  let files: { caFile: string; certFile: string; keyFile: string };
  beforeEach(() => {
    files = {
      caFile: temp.write('given/my-ca.crt', 'the CA\n'),
      certFile: temp.write('given/client.crt', 'the certificate\n'),
      keyFile: temp.write('given/client.key', 'the key\n'),
    };
  });

  it('gathers the files as ca.pem, cert.pem and key.pem in the DOCKER_CERT_PATH folder, and sets DOCKER_TLS_VERIFY', () => {
    const environment = environmentFor({
      kind: 'tcp',
      address: '10.0.0.7',
      port: 2376,
      tls: { ...files, verify: true },
    });

    const { DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY, ...rest } = environment.env;
    expect({ DOCKER_HOST, DOCKER_TLS_VERIFY, rest }).toEqual({
      DOCKER_HOST: 'tcp://10.0.0.7:2376',
      DOCKER_TLS_VERIFY: '1',
      rest: {},
    });
    const certPath = DOCKER_CERT_PATH!;
    expect(readdirSync(certPath).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    expect(readlinkSync(join(certPath, 'ca.pem'))).toBe(files.caFile);
    expect(readlinkSync(join(certPath, 'cert.pem'))).toBe(files.certFile);
    expect(readlinkSync(join(certPath, 'key.pem'))).toBe(files.keyFile);
    expect(readFileSync(join(certPath, 'key.pem'), 'utf8')).toBe('the key\n');
  });

  it('leaves DOCKER_TLS_VERIFY unset when the engine is not to be verified', () => {
    const environment = environmentFor({
      kind: 'tcp',
      address: '10.0.0.7',
      port: 2376,
      tls: { ...files, verify: false },
    });

    expect(environment.env).not.toHaveProperty('DOCKER_TLS_VERIFY');
    expect(environment.env['DOCKER_CERT_PATH']).toBeDefined();
  });

  it('links only the files given, e.g. a CA without a client certificate', () => {
    const environment = environmentFor({
      kind: 'tcp',
      address: '10.0.0.7',
      port: 2376,
      tls: { caFile: files.caFile, verify: true },
    });

    expect(readdirSync(environment.env['DOCKER_CERT_PATH']!)).toEqual(['ca.pem']);
  });

  it('links a relative path by its absolute path, so the link works from the Compose folder', () => {
    const environment = environmentFor({
      kind: 'tcp',
      address: '10.0.0.7',
      port: 2376,
      tls: { caFile: relative(process.cwd(), files.caFile), verify: true },
    });

    const link = join(environment.env['DOCKER_CERT_PATH']!, 'ca.pem');
    expect(readlinkSync(link)).toBe(files.caFile);
    expect(readFileSync(link, 'utf8')).toBe('the CA\n');
  });

  it('makes a new folder for each environment', () => {
    const host: DockerHost = { kind: 'tcp', address: '10.0.0.7', port: 2376, tls: { ...files, verify: true } };

    expect(environmentFor(host).env['DOCKER_CERT_PATH']).not.toBe(environmentFor(host).env['DOCKER_CERT_PATH']);
  });

  it('removes the folder on dispose, and leaves the given files alone', () => {
    const environment = composeEnvironment({
      kind: 'tcp',
      address: '10.0.0.7',
      port: 2376,
      tls: { ...files, verify: true },
    });
    const certPath = environment.env['DOCKER_CERT_PATH']!;
    expect(lstatSync(certPath).isDirectory()).toBe(true);

    environment.dispose();

    expect(existsSync(certPath)).toBe(false);
    expect(readFileSync(files.caFile, 'utf8')).toBe('the CA\n');
    expect(readFileSync(files.certFile, 'utf8')).toBe('the certificate\n');
    expect(readFileSync(files.keyFile, 'utf8')).toBe('the key\n');
    expect(() => environment.dispose()).not.toThrow();
  });
});
