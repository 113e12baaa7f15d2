import { describe, expect, it } from '@jest/globals';
import { describeDockerHost, parseDockerHost, resolveDockerHost } from '../../../src/docker/host.js';
import { InvalidInputError } from '../../../src/shared/errors.js';

describe('parseDockerHost', () => {
  it.each([
    { text: 'unix:///var/run/docker.sock', host: { kind: 'unix', socketPath: '/var/run/docker.sock' } },
    { text: 'unix:///run/docker-b.sock', host: { kind: 'unix', socketPath: '/run/docker-b.sock' } },
    { text: 'tcp://10.250.1.2:2375', host: { kind: 'tcp', address: '10.250.1.2', port: 2375 } },
    { text: 'tcp://docker.internal:2375/', host: { kind: 'tcp', address: 'docker.internal', port: 2375 } },
    { text: 'tcp://[fd00::2]:2375', host: { kind: 'tcp', address: 'fd00::2', port: 2375 } },
  ])('reads $text', ({ text, host }) => {
    expect(parseDockerHost(text)).toEqual(host);
  });

  it.each([
    { text: 'unix://run/docker.sock', why: /absolute path/ },
    { text: 'tcp://10.0.0.5', why: /no port/ },
    { text: 'tcp://10.0.0.5:2375/v1.41', why: /takes no path/ },
    { text: 'ssh://admin@builder-1', why: /ssh:\/\/ scheme is not supported yet/ },
    { text: '10.0.0.5:2375', why: /no scheme/ },
  ])('rejects $text and says which forms it accepts', ({ text, why }) => {
    const parse = () => parseDockerHost(text, '--host');
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(why);
    expect(parse).toThrow(/--host=.*\n.*fix: use unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/address:port/);
  });
});

describe('resolveDockerHost', () => {
  it('prefers --host over DOCKER_HOST', () => {
    expect(resolveDockerHost('tcp://10.0.0.1:2375', { DOCKER_HOST: 'unix:///other.sock' })).toEqual({ kind: 'tcp', address: '10.0.0.1', port: 2375 });
  });

  it('falls back to DOCKER_HOST, naming it in errors', () => {
    expect(resolveDockerHost(undefined, { DOCKER_HOST: 'unix:///run/docker-b.sock' })).toEqual({ kind: 'unix', socketPath: '/run/docker-b.sock' });
    expect(() => resolveDockerHost(undefined, { DOCKER_HOST: 'nonsense' })).toThrow(/DOCKER_HOST=nonsense/);
  });

  it('uses the local socket when nothing is set', () => {
    expect(resolveDockerHost(undefined, { DOCKER_HOST: '' })).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
  });

  it('refuses TLS settings it cannot honour instead of silently connecting in plain text', () => {
    expect(() => resolveDockerHost(undefined, { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1' })).toThrow(/TLS to a Docker host is not supported yet/);
  });
});

describe('describeDockerHost', () => {
  it('prints hosts as the URLs users typed', () => {
    expect(describeDockerHost({ kind: 'unix', socketPath: '/run/docker.sock' })).toBe('unix:///run/docker.sock');
    expect(describeDockerHost({ kind: 'tcp', address: '10.0.0.5', port: 2375 })).toBe('tcp://10.0.0.5:2375');
    expect(describeDockerHost({ kind: 'tcp', address: 'fd00::2', port: 2375 })).toBe('tcp://[fd00::2]:2375');
  });
});
