import { randomBytes } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { connectionOptions } from '../../../src/docker/connection.js';
import { createDockerClient } from '../../../src/docker/dockerode-client.js';
import { GyreError, InvalidInputError } from '../../../src/shared/errors.js';
import { TempDir } from './docker-config-fixture.js';

let temp: TempDir;
beforeEach(() => {
  temp = new TempDir();
});
afterEach(() => temp.remove());

// docker-modem merges DOCKER_HOST and friends under its options; every one must be set.
const unset = {
  socketPath: undefined,
  host: undefined,
  port: undefined,
  protocol: undefined,
  username: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
};

describe('connectionOptions', () => {
  it('connects to a unix socket and nothing else, whatever DOCKER_HOST says', () => {
    const options = connectionOptions({ kind: 'unix', socketPath: '/run/docker-b.sock' }, {});
    expect(options).toEqual({ ...unset, socketPath: '/run/docker-b.sock' });
    expect(Object.keys(options)).toEqual(expect.arrayContaining(Object.keys(unset)));
  });

  it('speaks plain http to a tcp:// host without TLS', () => {
    expect(connectionOptions({ kind: 'tcp', address: '10.0.0.5', port: 2375 }, {})).toEqual({
      ...unset,
      host: '10.0.0.5',
      port: 2375,
      protocol: 'http',
    });
  });

  it('speaks https with the TLS files of a tcp:// host', () => {
    const [caFile, certFile, keyFile] = ['ca', 'cert', 'key'].map((name) => temp.write(`${name}.pem`, `${name} pem`));
    const options = connectionOptions(
      { kind: 'tcp', address: '10.0.0.5', port: 2376, tls: { caFile, certFile, keyFile, verify: true } },
      {},
    );
    expect(options).toEqual({
      ...unset,
      host: '10.0.0.5',
      port: 2376,
      protocol: 'https',
      ca: Buffer.from('ca pem'),
      cert: Buffer.from('cert pem'),
      key: Buffer.from('key pem'),
    });
  });

  it("skips certificate checks only for a context's SkipTLSVerify, through an agent", () => {
    const options = connectionOptions(
      {
        kind: 'context',
        name: 'lab',
        endpoint: { kind: 'tcp', address: 'lab.internal', port: 2376, tls: { verify: false } },
      },
      {},
    );
    expect(options.protocol).toBe('https');
    expect(options.agent).toBeInstanceOf(HttpsAgent);
    expect(options.agent?.options.rejectUnauthorized).toBe(false);
  });

  it('names a TLS file that vanished after the host was resolved', () => {
    expect(() =>
      connectionOptions(
        { kind: 'tcp', address: '10.0.0.5', port: 2376, tls: { caFile: '/nowhere/ca.pem', verify: true } },
        {},
      ),
    ).toThrow(/Cannot read the TLS file \/nowhere\/ca\.pem/);
  });

  it('logs in over ssh with the agent, checking the host key against known_hosts', () => {
    const hostKey = randomBytes(51);
    temp.write('home/.ssh/known_hosts', `[builder-1]:2222 ssh-ed25519 ${hostKey.toString('base64')}\n`);
    const options = connectionOptions(
      { kind: 'context', name: 'remote', endpoint: { kind: 'ssh', user: 'ci', address: 'builder-1', port: 2222 } },
      { HOME: join(temp.path, 'home'), SSH_AUTH_SOCK: '/tmp/agent.sock' },
    );
    expect(options).toEqual(
      expect.objectContaining({
        ...unset,
        protocol: 'ssh',
        host: 'builder-1',
        port: 2222,
        username: 'ci',
        sshOptions: expect.objectContaining({
          agent: '/tmp/agent.sock',
          algorithms: { serverHostKey: ['ssh-ed25519'] },
        }),
      }),
    );
    const verify = options.sshOptions?.hostVerifier as (key: Buffer) => boolean;
    expect(verify(hostKey)).toBe(true);
    expect(verify(randomBytes(51))).toBe(false);
  });
});

describe('createDockerClient', () => {
  it('creates a client for every kind of host without connecting', () => {
    temp.write('home/.ssh/known_hosts', `builder-1 ssh-ed25519 ${randomBytes(51).toString('base64')}\n`);
    const env = { HOME: join(temp.path, 'home'), SSH_AUTH_SOCK: '/tmp/agent.sock' };
    const ca = temp.write('ca.pem', 'pem');
    for (const host of [
      { kind: 'unix', socketPath: '/nowhere/docker.sock' },
      { kind: 'tcp', address: '10.0.0.5', port: 2375 },
      { kind: 'tcp', address: '10.0.0.5', port: 2376, tls: { caFile: ca, verify: true } },
      { kind: 'ssh', user: 'ci', address: 'builder-1', port: 22 },
    ] as const) {
      expect(createDockerClient(host, env).host).toBe(host);
    }
  });

  it('fails before connecting when the ssh host is unknown', () => {
    const create = () =>
      createDockerClient(
        { kind: 'ssh', address: 'builder-9', port: 22 },
        { HOME: join(temp.path, 'home'), SSH_AUTH_SOCK: '/tmp/agent.sock' },
      );
    expect(create).toThrow(InvalidInputError);
    expect(create).toThrow(GyreError);
  });
});
