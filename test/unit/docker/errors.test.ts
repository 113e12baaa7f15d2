import { describe, expect, it } from '@jest/globals';
import { toDockerError } from '../../../src/docker/errors.js';
import { ExitCode, GyreError, UnavailableError } from '../../../src/shared/errors.js';

const host = { kind: 'unix', socketPath: '/run/docker-b.sock' } as const;

describe('toDockerError', () => {
  it('reports an engine that does not answer as unavailable, naming the host and the fix', () => {
    const error = toDockerError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), host, 'connecting');
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.exitCode).toBe(ExitCode.unavailable);
    expect(error.message).toMatch(/Docker host unix:\/\/\/run\/docker-b\.sock did not answer while connecting.*--host or DOCKER_HOST/);
  });

  it("classifies by status code and shows the engine's own message", () => {
    const notFound = { statusCode: 404, json: { message: 'No such image: gyre/app:9' }, message: '(HTTP code 404) no such image' };
    expect(toDockerError(notFound, host, 'saving gyre/app:9').message).toBe('Docker host unix:///run/docker-b.sock: not found while saving gyre/app:9: No such image: gyre/app:9');
    const conflict = { statusCode: 409, json: 'in use', message: 'conflict' };
    expect(toDockerError(conflict, host, 'removing x').message).toMatch(/refused removing x \(HTTP 409\): in use/);
  });

  it('keeps errors that are already explained', () => {
    const original = new GyreError('already explained');
    expect(toDockerError(original, host, 'anything')).toBe(original);
  });
});
