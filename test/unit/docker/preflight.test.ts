import { describe, expect, it } from '@jest/globals';
import { toDockerError } from '../../../src/docker/errors.js';
import type { DockerHost } from '../../../src/docker/host.js';
import { preflightDockerHost } from '../../../src/docker/preflight.js';
import type { EngineClient, EngineInfo, EngineVersion } from '../../../src/docker/types.js';
import { ExitCode, InvalidInputError, UnavailableError } from '../../../src/shared/errors.js';

const tcp: DockerHost = {
  kind: 'tcp',
  address: '10.0.0.5',
  port: 2376,
  tls: { caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem', verify: true },
};
const ssh: DockerHost = { kind: 'ssh', user: 'ci', address: 'builder-1', port: 2222 };
const docker2010: EngineVersion = { version: '20.10.24+dfsg1', apiVersion: '1.41', os: 'linux', arch: 'amd64' };
const info: EngineInfo = {
  cpus: 8,
  memoryBytes: 33_554_432_000,
  name: 'builder-1',
  serverVersion: '20.10.24+dfsg1',
  nestedCgroups: true,
};

/** An engine that answers as told: `ping` may fail or never answer. */
function fakeEngine(
  host: DockerHost,
  behaviour: { ping?: 'ok' | 'hang' | Error; version?: EngineVersion } = {},
): EngineClient {
  return {
    host,
    ping: (signal) => {
      const ping = behaviour.ping ?? 'ok';
      if (ping === 'ok') return Promise.resolve();
      if (ping === 'hang')
        return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.reject(ping);
    },
    version: () => Promise.resolve(behaviour.version ?? docker2010),
    info: () => Promise.resolve(info),
  };
}

describe('preflightDockerHost', () => {
  it("returns the engine's version, platform and capacity", async () => {
    await expect(preflightDockerHost(fakeEngine(tcp))).resolves.toEqual({
      ...docker2010,
      cpus: 8,
      memoryBytes: 33_554_432_000,
      name: 'builder-1',
    });
  });

  it('accepts newer engines, whose API minor version has more digits', async () => {
    await expect(
      preflightDockerHost(fakeEngine(tcp, { version: { ...docker2010, version: '28.0.1', apiVersion: '1.48' } })),
    ).resolves.toEqual(expect.objectContaining({ apiVersion: '1.48' }));
  });

  it('refuses an engine older than Docker 20.10, naming the host and what to do', async () => {
    const old = preflightDockerHost(
      fakeEngine(tcp, { version: { ...docker2010, version: '19.03.12', apiVersion: '1.40' } }),
    );
    await expect(old).rejects.toThrow(InvalidInputError);
    await expect(old).rejects.toThrow(
      'Docker host tcp://10.0.0.5:2376 has 1 problem:\n' +
        '  - Docker 19.03.12 (Engine API 1.40): is too old: Gyre needs Docker 20.10 or newer (Engine API 1.41 or later)\n' +
        '    fix: upgrade Docker Engine on tcp://10.0.0.5:2376, or pick another host with --host',
    );
  });

  it('refuses an engine that does not run Linux containers, listing every problem at once', async () => {
    const windows = preflightDockerHost(
      fakeEngine(ssh, { version: { version: '19.03.5', apiVersion: '1.40', os: 'windows', arch: 'amd64' } }),
    );
    await expect(windows).rejects.toThrow(/Docker host ssh:\/\/ci@builder-1:2222 has 2 problems/);
    await expect(windows).rejects.toThrow(/engine OS windows: is not linux: Gyre runs Linux containers only/);
  });

  it('refuses an answer that carries no readable API version', async () => {
    await expect(
      preflightDockerHost(fakeEngine(tcp, { version: { ...docker2010, apiVersion: 'undefined' } })),
    ).rejects.toThrow(/is an Engine API version Gyre cannot read; is this a Docker Engine\?/);
  });

  it('reports an engine that refuses connections as unavailable, with what to check for a TLS host', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:2376'), { code: 'ECONNREFUSED' });
    const error = await preflightDockerHost(fakeEngine(tcp, { ping: toDockerError(refused, tcp, 'connecting') })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).exitCode).toBe(ExitCode.unavailable);
    expect((error as Error).message).toMatch(
      /^Docker host tcp:\/\/10\.0\.0\.5:2376 did not answer while connecting \(ECONNREFUSED\)\. Is dockerd running on 10\.0\.0\.5 and listening on TCP port 2376\?/,
    );
    expect((error as Error).message).toMatch(/firewall/);
    expect((error as Error).message).toMatch(
      /Do the TLS files \(\/certs\/ca\.pem, \/certs\/cert\.pem, \/certs\/key\.pem\) belong to this engine\?/,
    );
  });

  it('says what to check for an ssh host whose login fails', async () => {
    const denied = Object.assign(new Error('All configured authentication methods failed'), {
      level: 'client-authentication',
    });
    const failing = preflightDockerHost(fakeEngine(ssh, { ping: toDockerError(denied, ssh, 'connecting') }));
    await expect(failing).rejects.toThrow(UnavailableError);
    await expect(failing).rejects.toThrow(
      /ssh:\/\/ci@builder-1:2222 could not be reached over ssh while connecting \(client-authentication: All configured authentication methods failed\)/,
    );
    await expect(failing).rejects.toThrow(
      /`ssh -p 2222 ci@builder-1 docker version`.*ssh-agent \(SSH_AUTH_SOCK\).*known_hosts/,
    );
  });

  it('gives up on an engine that never answers, saying how long it waited', async () => {
    const unix: DockerHost = { kind: 'unix', socketPath: '/run/docker-b.sock' };
    const hanging = preflightDockerHost(fakeEngine(unix, { ping: 'hang' }), { timeoutMs: 50 });
    await expect(hanging).rejects.toThrow(UnavailableError);
    await expect(hanging).rejects.toThrow(
      /^Docker host unix:\/\/\/run\/docker-b\.sock did not answer a ping within 50ms\. Is dockerd running on this machine, and may this user open \/run\/docker-b\.sock/,
    );
  });

  it('reports a server that answers, but not as a Docker Engine, without repeating the host', async () => {
    const notDocker = { statusCode: 404, json: { message: 'page not found' }, message: '(HTTP code 404) unexpected' };
    const context: DockerHost = {
      kind: 'context',
      name: 'prod',
      endpoint: { kind: 'tcp', address: '10.0.0.5', port: 8080 },
    };
    const error = await preflightDockerHost(
      fakeEngine(context, { ping: toDockerError(notDocker, context, 'connecting') }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(
      /^Docker host context prod \(tcp:\/\/10\.0\.0\.5:8080\) did not answer a ping as a Docker Engine does: HTTP 404: page not found\. Docker context prod points at tcp:\/\/10\.0\.0\.5:8080\./,
    );
  });
});
