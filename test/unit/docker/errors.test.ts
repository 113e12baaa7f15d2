import { describe, expect, it } from '@jest/globals';
import { toDockerError } from '../../../src/docker/errors.js';
import { ExitCode, GyreError, UnavailableError } from '../../../src/shared/errors.js';

const host = { kind: 'unix', socketPath: '/run/docker-b.sock' } as const;

describe('toDockerError', () => {
  it('reports an engine that does not answer as unavailable, naming the host and the fix', () => {
    const error = toDockerError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      host,
      'connecting',
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.exitCode).toBe(ExitCode.unavailable);
    expect(error.message).toMatch(
      /Docker host unix:\/\/\/run\/docker-b\.sock did not answer while connecting \(ECONNREFUSED\)\. Is dockerd running on this machine.*--host or DOCKER_HOST/,
    );
  });

  it('reports a failed TLS handshake as unavailable, pointing at the TLS files', () => {
    const tls = {
      kind: 'tcp',
      address: '10.0.0.5',
      port: 2376,
      tls: { caFile: '/certs/ca.pem', verify: true },
    } as const;
    const error = toDockerError(
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      tls,
      'connecting',
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(
      /^Docker host tcp:\/\/10\.0\.0\.5:2376 failed the TLS handshake while connecting \(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\)\./,
    );
    expect(error.message).toMatch(
      /Was the engine's certificate signed by \/certs\/ca\.pem, is it still valid, and does it name 10\.0\.0\.5\?/,
    );
  });

  it('suggests TLS for a plain tcp:// host that hangs up', () => {
    const plain = { kind: 'tcp', address: '10.0.0.5', port: 2376 } as const;
    const error = toDockerError(
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      plain,
      'connecting',
    );
    expect(error.message).toMatch(
      /If the engine expects TLS \(usually on port 2376\), pass --tls-ca, --tls-cert and --tls-key/,
    );
  });

  it('reports ssh failures as unavailable, and socket errors under ssh by their code', () => {
    const sshHost = { kind: 'ssh', user: 'ci', address: 'builder-1', port: 22 } as const;
    const timeout = toDockerError(
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      sshHost,
      'connecting',
    );
    expect(timeout).toBeInstanceOf(UnavailableError);
    expect(timeout.message).toMatch(
      /^Docker host ssh:\/\/ci@builder-1 could not be reached over ssh while connecting \(client-timeout: Timed out while waiting for handshake\)\. Does `ssh ci@builder-1 docker version` work/,
    );
    const refused = toDockerError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', level: 'client-socket' }),
      sshHost,
      'connecting',
    );
    expect(refused.message).toMatch(/did not answer while connecting \(ECONNREFUSED\)/);
  });

  it("classifies by status code and shows the engine's own message", () => {
    const notFound = {
      statusCode: 404,
      json: { message: 'No such image: gyre/app:9' },
      message: '(HTTP code 404) no such image',
    };
    expect(toDockerError(notFound, host, 'saving gyre/app:9').message).toBe(
      'Docker host unix:///run/docker-b.sock: not found while saving gyre/app:9: No such image: gyre/app:9',
    );
    const conflict = { statusCode: 409, json: 'in use', message: 'conflict' };
    expect(toDockerError(conflict, host, 'removing x').message).toMatch(/refused removing x \(HTTP 409\): in use/);
  });

  it('keeps errors that are already explained', () => {
    const original = new GyreError('already explained');
    expect(toDockerError(original, host, 'anything')).toBe(original);
  });
});
