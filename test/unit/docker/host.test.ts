import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeDockerHost, parseDockerHost, resolveDockerHost } from '../../../src/docker/host.js';
import { InvalidInputError } from '../../../src/shared/errors.js';
import { contextTlsDir, TempDir } from './docker-config-fixture.js';

let temp: TempDir;
beforeEach(() => {
  temp = new TempDir();
});
afterEach(() => temp.remove());

/** An environment whose Docker config folder is an empty temp folder, so no real ~/.docker leaks in. */
function envWith(values: Record<string, string> = {}): Record<string, string> {
  return { DOCKER_CONFIG: temp.dockerConfig([]), ...values };
}

describe('parseDockerHost', () => {
  it.each([
    { text: 'unix:///var/run/docker.sock', host: { kind: 'unix', socketPath: '/var/run/docker.sock' } },
    { text: 'unix:///run/docker-b.sock', host: { kind: 'unix', socketPath: '/run/docker-b.sock' } },
    { text: 'tcp://10.250.1.2:2375', host: { kind: 'tcp', address: '10.250.1.2', port: 2375 } },
    { text: 'tcp://docker.internal:2376/', host: { kind: 'tcp', address: 'docker.internal', port: 2376 } },
    { text: 'tcp://[fd00::2]:2375', host: { kind: 'tcp', address: 'fd00::2', port: 2375 } },
    { text: 'ssh://ci@builder-1', host: { kind: 'ssh', user: 'ci', address: 'builder-1', port: 22 } },
    { text: 'ssh://ci@builder-1:2222', host: { kind: 'ssh', user: 'ci', address: 'builder-1', port: 2222 } },
    { text: 'ssh://builder-1', host: { kind: 'ssh', address: 'builder-1', port: 22 } },
    { text: 'ssh://ci@[fd00::3]:2222', host: { kind: 'ssh', user: 'ci', address: 'fd00::3', port: 2222 } },
  ])('reads $text', ({ text, host }) => {
    expect(parseDockerHost(text)).toEqual(host);
  });

  it.each([
    { text: 'unix://run/docker.sock', why: /a Unix socket needs an absolute path/ },
    { text: 'unix://', why: /a Unix socket needs an absolute path/ },
    { text: 'tcp://10.0.0.5', why: /it has no port \(the Docker CLI uses 2375 for plain TCP, 2376 for TLS\)/ },
    { text: 'tcp://10.0.0.5:2375/v1.41', why: /a tcp:\/\/ host takes no path/ },
    { text: 'tcp://10.0.0.5:99999', why: /it is not a valid URL/ },
    { text: 'tcp://admin@10.0.0.5:2375', why: /a tcp:\/\/ host takes no user/ },
    { text: 'ssh://', why: /it has no address/ },
    { text: 'ssh://ci@', why: /it is not a valid URL/ },
    { text: 'ssh://ci@builder-1/var/run/docker.sock', why: /an ssh:\/\/ host takes no path/ },
    { text: 'ssh://ci:hunter2@builder-1', why: /a password in the URL is not supported/ },
    { text: 'http://10.0.0.5:2375', why: /the http:\/\/ scheme is not one Gyre can use/ },
    { text: 'npipe:////./pipe/docker_engine', why: /the npipe:\/\/ scheme is not one Gyre can use/ },
    { text: '10.0.0.5:2375', why: /it is neither a URL with a scheme nor a Docker context name/ },
  ])('rejects $text, naming the input and why', ({ text, why }) => {
    const parse = () => parseDockerHost(text, '--host');
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(why);
    expect(parse).toThrow(`--host=${text}: is not a Docker host we can use`);
  });

  it('lists every accepted form, contexts included, in the hint for --host', () => {
    expect(() => parseDockerHost('10.0.0.5:2375')).toThrow(
      /fix: use unix:\/\/\/path\/to\/docker\.sock, tcp:\/\/address:port, ssh:\/\/user@host\[:port\] or the name of a Docker context/,
    );
  });

  it('points a context name in DOCKER_HOST at DOCKER_CONTEXT', () => {
    expect(() => parseDockerHost('prod-builder', 'DOCKER_HOST')).toThrow(
      /DOCKER_HOST=prod-builder: .*a Docker context name belongs in DOCKER_CONTEXT\)\n\s*fix: use a URL: unix/,
    );
  });
});

describe('resolveDockerHost: where the host comes from', () => {
  it('prefers --host over DOCKER_HOST', () => {
    expect(resolveDockerHost('tcp://10.0.0.1:2375', envWith({ DOCKER_HOST: 'unix:///other.sock' }))).toEqual({
      kind: 'tcp',
      address: '10.0.0.1',
      port: 2375,
    });
  });

  it('falls back to DOCKER_HOST, naming it in errors', () => {
    expect(resolveDockerHost(undefined, envWith({ DOCKER_HOST: 'unix:///run/docker-b.sock' }))).toEqual({
      kind: 'unix',
      socketPath: '/run/docker-b.sock',
    });
    expect(() => resolveDockerHost(undefined, envWith({ DOCKER_HOST: 'nonsense' }))).toThrow(/DOCKER_HOST=nonsense/);
  });

  it('uses the local socket when nothing is set', () => {
    expect(resolveDockerHost(undefined, envWith({ DOCKER_HOST: '' }))).toEqual({
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
    });
  });

  it('takes DOCKER_CONTEXT after DOCKER_HOST, and the current context of config.json after that', () => {
    const DOCKER_CONFIG = temp.dockerConfig(
      [
        { name: 'a', host: 'unix:///run/a.sock' },
        { name: 'b', host: 'unix:///run/b.sock' },
      ],
      'b',
    );
    expect(
      resolveDockerHost(undefined, { DOCKER_CONFIG, DOCKER_HOST: 'unix:///run/env.sock', DOCKER_CONTEXT: 'a' }),
    ).toEqual({ kind: 'unix', socketPath: '/run/env.sock' });
    expect(resolveDockerHost(undefined, { DOCKER_CONFIG, DOCKER_CONTEXT: 'a' })).toEqual({
      kind: 'context',
      name: 'a',
      endpoint: { kind: 'unix', socketPath: '/run/a.sock' },
    });
    expect(resolveDockerHost(undefined, { DOCKER_CONFIG })).toEqual({
      kind: 'context',
      name: 'b',
      endpoint: { kind: 'unix', socketPath: '/run/b.sock' },
    });
  });

  it('finds the Docker config folder in $HOME/.docker when DOCKER_CONFIG is not set', () => {
    temp.dockerConfig([{ name: 'home', host: 'unix:///run/home.sock' }], undefined, 'home/.docker');
    expect(resolveDockerHost('home', { HOME: join(temp.path, 'home') })).toEqual({
      kind: 'context',
      name: 'home',
      endpoint: { kind: 'unix', socketPath: '/run/home.sock' },
    });
  });
});

describe('resolveDockerHost: Docker contexts', () => {
  it('reads a context named by --host, with its TLS files', () => {
    const DOCKER_CONFIG = temp.dockerConfig([
      { name: 'prod-builder', host: 'tcp://10.0.0.5:2376', tls: ['ca.pem', 'cert.pem', 'key.pem'] },
    ]);
    const tls = contextTlsDir(DOCKER_CONFIG, 'prod-builder');
    expect(resolveDockerHost('prod-builder', { DOCKER_CONFIG })).toEqual({
      kind: 'context',
      name: 'prod-builder',
      endpoint: {
        kind: 'tcp',
        address: '10.0.0.5',
        port: 2376,
        tls: {
          caFile: join(tls, 'ca.pem'),
          certFile: join(tls, 'cert.pem'),
          keyFile: join(tls, 'key.pem'),
          verify: true,
        },
      },
    });
  });

  it("honours a context's SkipTLSVerify", () => {
    const DOCKER_CONFIG = temp.dockerConfig([{ name: 'lab', host: 'tcp://lab.internal:2376', skipTlsVerify: true }]);
    expect(resolveDockerHost('lab', { DOCKER_CONFIG })).toEqual({
      kind: 'context',
      name: 'lab',
      endpoint: { kind: 'tcp', address: 'lab.internal', port: 2376, tls: { verify: false } },
    });
  });

  it('keeps a tcp context without TLS files in plain TCP, and reads ssh contexts', () => {
    const DOCKER_CONFIG = temp.dockerConfig([
      { name: 'plain', host: 'tcp://10.0.0.6:2375' },
      { name: 'remote', host: 'ssh://ci@builder-2' },
    ]);
    expect(resolveDockerHost('plain', { DOCKER_CONFIG })).toEqual({
      kind: 'context',
      name: 'plain',
      endpoint: { kind: 'tcp', address: '10.0.0.6', port: 2375 },
    });
    expect(resolveDockerHost('remote', { DOCKER_CONFIG })).toEqual({
      kind: 'context',
      name: 'remote',
      endpoint: { kind: 'ssh', user: 'ci', address: 'builder-2', port: 22 },
    });
  });

  it('treats the default context as the local socket', () => {
    expect(resolveDockerHost('default', envWith())).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(resolveDockerHost(undefined, envWith({ DOCKER_CONTEXT: 'default' }))).toEqual({
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
    });
  });

  it('names an unknown context and lists the contexts that exist', () => {
    const DOCKER_CONFIG = temp.dockerConfig([
      { name: 'staging', host: 'tcp://10.0.0.7:2375' },
      { name: 'prod-builder', host: 'tcp://10.0.0.5:2376' },
    ]);
    const resolve = () => resolveDockerHost('prod-buidler', { DOCKER_CONFIG });
    expect(resolve).toThrow(InvalidInputError);
    expect(resolve).toThrow(
      `--host=prod-buidler: names no Docker context; the contexts in ${DOCKER_CONFIG} are: default, prod-builder, staging`,
    );
    expect(resolve).toThrow(/fix: use one of them \(see `docker context ls`\), or a URL: unix/);
  });

  it('names DOCKER_CONTEXT when that is where the unknown name came from', () => {
    expect(() => resolveDockerHost(undefined, envWith({ DOCKER_CONTEXT: 'gone' }))).toThrow(
      /DOCKER_CONTEXT=gone: names no Docker context; the contexts in .* are: default$/m,
    );
  });

  it('rejects a context whose endpoint is not a host Gyre can use, naming its meta.json', () => {
    const DOCKER_CONFIG = temp.dockerConfig([
      { name: 'windows', host: 'npipe:////./pipe/docker_engine' },
      { name: 'empty' },
    ]);
    expect(() => resolveDockerHost('windows', { DOCKER_CONFIG })).toThrow(
      /Endpoints\.docker\.Host of context windows \(.*meta\.json\)=npipe:.*npipe:\/\/ scheme is not one Gyre can use/,
    );
    expect(() => resolveDockerHost('empty', { DOCKER_CONFIG })).toThrow(
      /meta\.json: context empty has no Endpoints\.docker\.Host/,
    );
  });

  it('rejects a context with a client certificate but no key', () => {
    const DOCKER_CONFIG = temp.dockerConfig([
      { name: 'half', host: 'tcp://10.0.0.8:2376', tls: ['ca.pem', 'cert.pem'] },
    ]);
    expect(() => resolveDockerHost('half', { DOCKER_CONFIG })).toThrow(
      /context half key\.pem: is missing, but context half cert\.pem needs its private key/,
    );
  });

  it('names a config.json that is not JSON', () => {
    const DOCKER_CONFIG = temp.dockerConfig([]);
    temp.write('docker/config.json', '{ "currentContext": ');
    expect(() => resolveDockerHost(undefined, { DOCKER_CONFIG })).toThrow(/config\.json: is not valid JSON/);
  });
});

describe('resolveDockerHost: TLS', () => {
  it('takes the TLS files from the flags for a tcp:// host', () => {
    const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((name) => temp.write(`flags/${name}`, 'pem'));
    expect(resolveDockerHost('tcp://10.0.0.5:2376', envWith(), { tlsCa: ca, tlsCert: cert, tlsKey: key })).toEqual({
      kind: 'tcp',
      address: '10.0.0.5',
      port: 2376,
      tls: { caFile: ca, certFile: cert, keyFile: key, verify: true },
    });
  });

  it('accepts a CA alone, for an engine that needs no client certificate', () => {
    const ca = temp.write('ca.pem', 'pem');
    expect(resolveDockerHost('tcp://10.0.0.5:2376', envWith(), { tlsCa: ca })).toEqual(
      expect.objectContaining({ tls: { caFile: ca, verify: true } }),
    );
  });

  it('names every TLS flag that points at a missing file, and a certificate without its key', () => {
    const resolve = () =>
      resolveDockerHost('tcp://10.0.0.5:2376', envWith(), { tlsCa: '/nowhere/ca.pem', tlsCert: '/nowhere/cert.pem' });
    expect(resolve).toThrow(InvalidInputError);
    expect(resolve).toThrow('TLS flags has 3 problems');
    expect(resolve).toThrow('--tls-ca=/nowhere/ca.pem: is not a file');
    expect(resolve).toThrow('--tls-cert=/nowhere/cert.pem: is not a file');
    expect(resolve).toThrow('--tls-key: is missing, but --tls-cert needs its private key');
  });

  it.each([
    { host: 'unix:///var/run/docker.sock', why: 'unix:///var/run/docker.sock is not a tcp:// host' },
    { host: 'ssh://ci@builder-1', why: 'ssh://ci@builder-1 is not a tcp:// host' },
    { host: undefined, why: 'unix:///var/run/docker.sock is not a tcp:// host' },
  ])('refuses TLS flags for $host, which is not tcp://', ({ host, why }) => {
    const ca = temp.write('ca.pem', 'pem');
    expect(() => resolveDockerHost(host, envWith(), { tlsCa: ca })).toThrow(
      `--tls-ca/--tls-cert/--tls-key: apply only to a tcp:// host given as a URL, and ${why}`,
    );
  });

  it('refuses TLS flags for a context, which brings its own', () => {
    const DOCKER_CONFIG = temp.dockerConfig([{ name: 'prod', host: 'tcp://10.0.0.5:2376' }]);
    const ca = temp.write('ca.pem', 'pem');
    expect(() => resolveDockerHost('prod', { DOCKER_CONFIG }, { tlsCa: ca })).toThrow(
      /a Docker context brings its own TLS files/,
    );
  });

  it('reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, as the Docker CLI does', () => {
    const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((name) => temp.write(`certs/${name}`, 'pem'));
    const env = envWith({
      DOCKER_HOST: 'tcp://10.0.0.5:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: join(temp.path, 'certs'),
    });
    expect(resolveDockerHost(undefined, env)).toEqual({
      kind: 'tcp',
      address: '10.0.0.5',
      port: 2376,
      tls: { caFile: ca, certFile: cert, keyFile: key, verify: true },
    });
  });

  it('looks in the Docker config folder when DOCKER_CERT_PATH is not set', () => {
    const DOCKER_CONFIG = temp.dockerConfig([]);
    const ca = temp.write('docker/ca.pem', 'pem');
    expect(resolveDockerHost('tcp://10.0.0.5:2376', { DOCKER_CONFIG, DOCKER_TLS_VERIFY: '1' })).toEqual(
      expect.objectContaining({ tls: { caFile: ca, verify: true } }),
    );
  });

  it('leaves unix and ssh hosts alone under DOCKER_TLS_VERIFY', () => {
    expect(resolveDockerHost('unix:///run/docker.sock', envWith({ DOCKER_TLS_VERIFY: '1' }))).toEqual({
      kind: 'unix',
      socketPath: '/run/docker.sock',
    });
  });

  it('names DOCKER_CERT_PATH when it holds no usable files', () => {
    const env = envWith({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nowhere' });
    expect(() => resolveDockerHost(undefined, env)).toThrow(
      /DOCKER_CERT_PATH=\/nowhere: is not a folder\n.*fix: point DOCKER_CERT_PATH at the folder that holds ca\.pem, cert\.pem and key\.pem/,
    );
    temp.write('empty/readme.txt', 'no certificates here');
    expect(() => resolveDockerHost(undefined, { ...env, DOCKER_CERT_PATH: join(temp.path, 'empty') })).toThrow(
      /holds none of ca\.pem, cert\.pem and key\.pem/,
    );
    temp.write('keyless/cert.pem', 'pem');
    expect(() => resolveDockerHost(undefined, { ...env, DOCKER_CERT_PATH: join(temp.path, 'keyless') })).toThrow(
      /keyless\/key\.pem: is missing/,
    );
  });
});

describe('describeDockerHost', () => {
  it('prints hosts as the URLs users typed, and contexts by name', () => {
    expect(describeDockerHost({ kind: 'unix', socketPath: '/run/docker.sock' })).toBe('unix:///run/docker.sock');
    expect(describeDockerHost({ kind: 'tcp', address: '10.0.0.5', port: 2375 })).toBe('tcp://10.0.0.5:2375');
    expect(describeDockerHost({ kind: 'tcp', address: 'fd00::2', port: 2376, tls: { verify: true } })).toBe(
      'tcp://[fd00::2]:2376',
    );
    expect(describeDockerHost({ kind: 'ssh', user: 'ci', address: 'builder-1', port: 22 })).toBe('ssh://ci@builder-1');
    expect(describeDockerHost({ kind: 'ssh', address: 'builder-1', port: 2222 })).toBe('ssh://builder-1:2222');
    expect(
      describeDockerHost({ kind: 'context', name: 'prod', endpoint: { kind: 'tcp', address: '10.0.0.5', port: 2376 } }),
    ).toBe('context prod (tcp://10.0.0.5:2376)');
  });
});
