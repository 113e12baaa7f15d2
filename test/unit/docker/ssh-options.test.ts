import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SshDockerHost } from '../../../src/docker/host.js';
import { findKnownHostKeys, sshLoginFor } from '../../../src/docker/ssh-options.js';
import { isEncryptedKey } from '../../../src/shared/ssh-keys.js';
import { InvalidInputError } from '../../../src/shared/errors.js';
import { TempDir } from './docker-config-fixture.js';

const builderKey = randomBytes(51);
const otherKey = randomBytes(51);
const b64 = (key: Buffer) => key.toString('base64');
const host: SshDockerHost = { kind: 'ssh', user: 'ci', address: 'builder-1', port: 22 };

/** A key in OpenSSH's own format, encrypted with `cipher` (`none` means no passphrase). */
function opensshKey(cipher: string): Buffer {
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(cipher.length);
  const body = Buffer.concat([magic, length, Buffer.from(cipher), randomBytes(64)]).toString('base64');
  return Buffer.from(
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.replace(/(.{70})/g, '$1\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  );
}

function hashedName(name: string): string {
  const salt = randomBytes(20);
  return `|1|${b64(salt)}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('findKnownHostKeys', () => {
  it('finds plain, listed, wildcard and hashed entries for the host', () => {
    const text = [
      '# comment',
      '',
      `builder-1 ssh-ed25519 ${b64(builderKey)}`,
      `builder-0,BUILDER-1,10.0.0.9 ecdsa-sha2-nistp256 ${b64(otherKey)}`,
      `builder-* ssh-rsa ${b64(otherKey)}`,
      `${hashedName('builder-1')} ssh-ed25519 ${b64(otherKey)}`,
      `builder-2 ssh-ed25519 ${b64(otherKey)}`,
    ].join('\n');
    expect(findKnownHostKeys(text, 'builder-1', 22).map((k) => k.type)).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });

  it('uses [host]:port for other ports, as OpenSSH writes them', () => {
    const text = `builder-1 ssh-ed25519 ${b64(otherKey)}\n[builder-1]:2222 ssh-ed25519 ${b64(builderKey)}\n${hashedName('[builder-1]:2222')} ssh-rsa ${b64(builderKey)}`;
    expect(findKnownHostKeys(text, 'builder-1', 2222)).toEqual([
      { type: 'ssh-ed25519', key: builderKey, revoked: false },
      { type: 'ssh-rsa', key: builderKey, revoked: false },
    ]);
  });

  it('honours negated patterns, marks @revoked keys and skips @cert-authority lines', () => {
    const text = [
      `builder-*,!builder-1 ssh-ed25519 ${b64(otherKey)}`,
      `@revoked builder-1 ssh-ed25519 ${b64(otherKey)}`,
      `@cert-authority *.internal ssh-ed25519 ${b64(otherKey)}`,
    ].join('\n');
    expect(findKnownHostKeys(text, 'builder-1', 22)).toEqual([{ type: 'ssh-ed25519', key: otherKey, revoked: true }]);
  });
});

describe('isEncryptedKey', () => {
  it.each([
    { what: 'an OpenSSH key without passphrase', pem: opensshKey('none'), encrypted: false },
    { what: 'an OpenSSH key with a passphrase', pem: opensshKey('aes256-ctr'), encrypted: true },
    {
      what: 'a PKCS#8 encrypted key',
      pem: Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n'),
      encrypted: true,
    },
    {
      what: 'a PKCS#1 key with Proc-Type',
      pem: Buffer.from(
        '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMIIB\n-----END RSA PRIVATE KEY-----\n',
      ),
      encrypted: true,
    },
    {
      what: 'a plain PKCS#1 key',
      pem: Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n'),
      encrypted: false,
    },
  ])('tells $what', ({ pem, encrypted }) => {
    expect(isEncryptedKey(pem)).toBe(encrypted);
  });
});

describe('sshLoginFor', () => {
  let temp: TempDir;
  let knownHosts: string;
  beforeEach(() => {
    temp = new TempDir();
    knownHosts = temp.write(
      'home/.ssh/known_hosts',
      `builder-1 ssh-ed25519 ${b64(builderKey)}\n@revoked builder-1 ssh-rsa ${b64(otherKey)}\n`,
    );
  });
  afterEach(() => temp.remove());
  const home = () => join(temp.path, 'home');

  it('logs in with the agent and trusts only the host key known_hosts lists', () => {
    const login = sshLoginFor(host, { HOME: home(), SSH_AUTH_SOCK: '/tmp/agent.sock' }, [knownHosts]);
    expect(login).toEqual(
      expect.objectContaining({
        username: 'ci',
        agent: '/tmp/agent.sock',
        privateKey: undefined,
        serverHostKeys: ['ssh-ed25519'],
      }),
    );
    expect(login.hostVerifier(builderKey)).toBe(true);
    expect(login.hostVerifier(otherKey)).toBe(false);
  });

  it('uses the first default key that has no passphrase, and the local user when the URL names none', () => {
    temp.write('home/.ssh/id_ed25519', opensshKey('aes256-ctr'));
    const ecdsa = temp.write('home/.ssh/id_ecdsa', opensshKey('none'));
    const login = sshLoginFor({ ...host, user: undefined }, { HOME: home(), USER: 'operator' }, [knownHosts]);
    expect(login.username).toBe('operator');
    expect(login.agent).toBeUndefined();
    expect(login.privateKey).toEqual(readFileSync(ecdsa));
  });

  it('offers every RSA signature OpenSSH accepts for a known ssh-rsa key', () => {
    const file = temp.write('rsa_known_hosts', `[builder-1]:2222 ssh-rsa ${b64(builderKey)}\n`);
    expect(
      sshLoginFor({ ...host, port: 2222 }, { HOME: home(), SSH_AUTH_SOCK: '/tmp/agent.sock' }, [file]).serverHostKeys,
    ).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('refuses a host known_hosts does not list, saying how to add it', () => {
    const login = () =>
      sshLoginFor({ ...host, address: 'builder-9', port: 2222 }, { HOME: home(), SSH_AUTH_SOCK: '/tmp/agent.sock' }, [
        knownHosts,
        '/nowhere/known_hosts',
      ]);
    expect(login).toThrow(InvalidInputError);
    expect(login).toThrow(/Docker host ssh:\/\/ci@builder-9:2222 has 1 problem/);
    expect(login).toThrow(/list no host key for \[builder-9\]:2222.*\n.*fix: run `ssh -p 2222 ci@builder-9 true` once/);
  });

  it("goes where ~/.ssh/config sends the alias, as its user, with its IdentityFile, checking the real host's key", () => {
    const key = temp.write('home/.ssh/ci_ed25519', opensshKey('none'));
    temp.write(
      'home/.ssh/config',
      'Host farm-*\n  HostName builder-1\n  User ci-user\n  Port 2200\n  IdentityFile ~/.ssh/ci_ed25519\n',
    );
    const file = temp.write('farm_known_hosts', `[builder-1]:2200 ssh-ed25519 ${b64(builderKey)}\n`);
    const login = sshLoginFor({ kind: 'ssh', address: 'farm-1', port: 22 }, { HOME: home(), USER: 'operator' }, [file]);
    expect(login).toEqual(
      expect.objectContaining({ address: 'builder-1', port: 2200, username: 'ci-user', privateKey: readFileSync(key) }),
    );
    expect(login.hostVerifier(builderKey)).toBe(true);
    // What the URL says wins over the config: its user, and a port other than 22.
    const explicit = sshLoginFor({ kind: 'ssh', user: 'root', address: 'farm-1', port: 2200 }, { HOME: home() }, [
      file,
    ]);
    expect(explicit).toEqual(expect.objectContaining({ address: 'builder-1', port: 2200, username: 'root' }));
  });

  it('says how to log in when there is neither an agent nor a usable key', () => {
    temp.write(
      'home/.ssh/id_rsa',
      Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n'),
    );
    expect(() => sshLoginFor(host, { HOME: home() }, [knownHosts])).toThrow(
      /SSH_AUTH_SOCK: is not set, and .*\.ssh holds no id_ed25519, id_ecdsa, id_rsa without a passphrase\n.*fix: start ssh-agent/,
    );
  });
});
