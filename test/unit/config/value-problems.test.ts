import { describe, expect, it } from '@jest/globals';
import { check, VALID_SECRETS } from './settings-helpers.js';

/**
 * Every message a single bad value can produce. Each row: GIVEN one variable set to a bad value
 * on top of otherwise valid settings, THEN exactly one problem names it, says what is expected and
 * gives a fix.
 */
const ROWS: { variable: string; value: string; message: string; hint: string; others?: Record<string, string> }[] = [
  {
    variable: 'GYRE_HOSTNAME',
    value: 'ci.example.com:8080',
    message: 'must be a host name or IP address, without scheme or port',
    hint: 'for example GYRE_HOSTNAME=ci.example.com',
  },
  {
    variable: 'GYRE_BIND_ADDRESS',
    value: '10.0.0.5/24',
    message: 'must be a host name or IP address, without scheme or port',
    hint: 'for example GYRE_BIND_ADDRESS=10.0.0.5',
  },
  {
    variable: 'GYRE_PUBLIC_URL',
    value: 'ci.example.com',
    message: 'must be an http:// or https:// URL',
    hint: 'for example GYRE_PUBLIC_URL=https://ci.example.com',
  },
  {
    variable: 'GYRE_HTTP_PROXY',
    value: 'socks5://proxy:1080',
    message: 'must be an http:// or https:// URL',
    hint: 'for example GYRE_HTTP_PROXY=http://proxy.example.com:3128',
  },
  {
    variable: 'GYRE_HTTPS_PROXY',
    value: 'proxy:3128',
    message: 'must be an http:// or https:// URL',
    hint: 'for example GYRE_HTTPS_PROXY=http://proxy.example.com:3128',
  },
  {
    variable: 'GYRE_DEBIAN_MIRROR',
    value: 'ftp://ftp.debian.org/debian',
    message: 'must be an http:// or https:// URL',
    hint: 'for example GYRE_DEBIAN_MIRROR=http://mirror.example.com/debian',
  },
  {
    variable: 'GYRE_HTTP_PORT',
    value: 'eighty',
    message: 'must be a port number (1-65535)',
    hint: 'for example GYRE_HTTP_PORT=8080',
  },
  {
    variable: 'GYRE_HTTP_PORT',
    value: '0',
    message: 'must be a port number (1-65535)',
    hint: 'for example GYRE_HTTP_PORT=8080',
  },
  {
    variable: 'GYRE_ADMIN_PORT',
    value: '65536',
    message: 'must be a port number (1-65535)',
    hint: 'for example GYRE_ADMIN_PORT=8800',
  },
  {
    variable: 'GYRE_HTTPS_PORT',
    value: '-443',
    message: 'must be a port number (1-65535)',
    hint: 'for example GYRE_HTTPS_PORT=8443',
  },
  {
    variable: 'GYRE_TLS_CERT_FILE',
    value: 'tls/cert.pem',
    message: 'must be an absolute path',
    hint: 'for example GYRE_TLS_CERT_FILE=/etc/gyre/tls/cert.pem',
    others: { GYRE_TLS_KEY_FILE: '/etc/gyre/tls/key.pem' },
  },
  {
    variable: 'GYRE_TLS_KEY_FILE',
    value: 'key.pem',
    message: 'must be an absolute path',
    hint: 'for example GYRE_TLS_KEY_FILE=/etc/gyre/tls/key.pem',
    others: { GYRE_TLS_CERT_FILE: '/etc/gyre/tls/cert.pem' },
  },
  {
    variable: 'GYRE_EXTRA_CA_CERTS_FILE',
    value: './ca.pem',
    message: 'must be an absolute path',
    hint: 'for example GYRE_EXTRA_CA_CERTS_FILE=/etc/ssl/certs/ca-certificates.crt',
  },
  {
    variable: 'GYRE_DATABASE_URL',
    value: 'mysql://db/gyre',
    message: 'must be a postgres:// URL such as postgres://user:password@host:5432/gyre',
    hint: 'for example GYRE_DATABASE_URL=postgres://',
  },
  {
    variable: 'GYRE_DB_PASSWORD',
    value: 'postgres',
    message: 'must be at least 16 characters long',
    hint: 'generate one with `openssl rand -hex 32`',
  },
  {
    variable: 'GYRE_JOIN_SECRET',
    value: 'x'.repeat(31),
    message: 'must be at least 32 characters long',
    hint: "copy GYRE_JOIN_SECRET from the services box's .env",
  },
  {
    variable: 'GYRE_ADMIN_PASSWORD',
    value: 'hunter2',
    message: 'must be at least 12 characters long',
    hint: 'or run `gyre init` to write a new .env',
  },
  {
    variable: 'GYRE_SESSION_SECRET',
    value: 'short',
    message: 'must be at least 32 characters long',
    hint: 'generate one with `openssl rand -hex 32`',
  },
  {
    variable: 'GYRE_ENCRYPTION_KEY',
    value: 'A'.repeat(44),
    message: 'must be 32 random bytes in base64 (44 characters)',
    hint: 'generate one with `openssl rand -base64 32`',
  },
  {
    variable: 'GYRE_APP_IMAGE',
    value: 'Gyre App',
    message: 'must be an image reference such as gyre/app:0.1.0',
    hint: 'for example GYRE_APP_IMAGE=registry.example.com/gyre/app:0.1.0',
  },
  {
    variable: 'GYRE_DB_IMAGE',
    value: 'postgres:',
    message: 'must be an image reference such as gyre/app:0.1.0',
    hint: 'for example GYRE_DB_IMAGE=',
  },
  {
    variable: 'GYRE_BASE_DEBIAN_IMAGE',
    value: '-debian',
    message: 'must be an image reference such as gyre/app:0.1.0',
    hint: 'for example GYRE_BASE_DEBIAN_IMAGE=',
  },
  {
    variable: 'GYRE_BASE_NODE_IMAGE',
    value: 'node 24',
    message: 'must be an image reference such as gyre/app:0.1.0',
    hint: 'for example GYRE_BASE_NODE_IMAGE=',
  },
  {
    variable: 'GYRE_BUILDER_NAME',
    value: 'Builder_1',
    message: 'must be 1-40 lower-case letters, digits or dashes, starting with a letter or digit',
    hint: 'for example GYRE_BUILDER_NAME=builder-1',
  },
  {
    variable: 'GYRE_BUILDER_SLOTS',
    value: '0',
    message: 'must be a whole number of at least 1',
    hint: 'for example GYRE_BUILDER_SLOTS=4',
  },
  {
    variable: 'GYRE_BUILDER_SLOTS',
    value: '2.5',
    message: 'must be a whole number of at least 1',
    hint: 'for example GYRE_BUILDER_SLOTS=4',
  },
  {
    variable: 'GYRE_SLOT_CPUS',
    value: '-1',
    message: 'must be a number of CPUs such as 2 or 1.5 (0 means no limit)',
    hint: 'for example GYRE_SLOT_CPUS=2',
  },
  {
    variable: 'GYRE_LOG_MAX_SIZE',
    value: 'big',
    message: '"big" is not a file size of at least 1K; use a number with a unit such as 10M or 1G',
    hint: 'for example GYRE_LOG_MAX_SIZE=50M',
  },
  {
    variable: 'GYRE_LOG_MAX_SIZE',
    value: '100',
    message: '"100" is not a file size of at least 1K; use a number with a unit such as 10M or 1G',
    hint: 'for example GYRE_LOG_MAX_SIZE=50M',
  },
  {
    variable: 'GYRE_LOG_MAX_FILES',
    value: '0',
    message: 'must be a whole number of at least 1',
    hint: 'for example GYRE_LOG_MAX_FILES=10',
  },
  {
    variable: 'GYRE_SLOT_MEMORY',
    value: 'lots',
    message: '"lots" is not a memory size; use a number with a unit such as 4G, 512M or 8GiB',
    hint: 'for example GYRE_SLOT_MEMORY=8G',
  },
  {
    variable: 'GYRE_SLOT_MEMORY',
    value: '4096',
    message: '"4096" is 4096 bytes, below the 6M that Docker allows a container; add a unit such as 4G or 512M',
    hint: 'for example GYRE_SLOT_MEMORY=8G',
  },
  {
    variable: 'GYRE_DRAIN_TIMEOUT',
    value: '1 hour',
    message: '"1 hour" is not a duration; use a number with a unit such as 30m, 90s or 1h',
    hint: 'for example GYRE_DRAIN_TIMEOUT=1h',
  },
  {
    variable: 'GYRE_LOG_LEVEL',
    value: 'verbose',
    message: 'must be one of fatal, error, warn, info, debug, trace',
    hint: 'for example GYRE_LOG_LEVEL=debug',
  },
];

describe('a bad value', () => {
  it.each(ROWS)('$variable=$value is reported as "$message"', ({ variable, value, message, hint, others }) => {
    const result = check({ ...VALID_SECRETS, ...others, [variable]: value }, 'serve');
    expect(result.problems).toEqual([{ input: variable, message, hint: expect.stringContaining(hint) }]);
    expect(result.settings).toBeUndefined();
  });

  it('never repeats the value of a secret in its message', () => {
    const weak = {
      GYRE_JOIN_SECRET: 'join-weak',
      GYRE_ADMIN_PASSWORD: 'admin-weak',
      GYRE_ENCRYPTION_KEY: 'key-weak',
      GYRE_SESSION_SECRET: 'session-weak',
      GYRE_DB_PASSWORD: 'db-weak',
      GYRE_DATABASE_URL: 'mysql://u:dburl-weak@h/db',
    };
    const text = JSON.stringify(check(weak, 'serve'));
    for (const value of Object.values(weak)) expect(text).not.toContain(value);
  });

  it('is reported once, not also as missing, when a required secret is set but invalid', () => {
    const result = check({ ...VALID_SECRETS, GYRE_SESSION_SECRET: 'short' }, 'serve');
    expect(result.problems.map((p) => p.input)).toEqual(['GYRE_SESSION_SECRET']);
  });

  it('is treated as unset when it is empty or blank, so the default applies', () => {
    const result = check({ ...VALID_SECRETS, GYRE_HTTP_PORT: '', GYRE_HOSTNAME: '   ' }, 'serve');
    expect(result.settings?.listen.httpPort).toBe(80);
    expect(result.settings?.hostname).toBe('localhost');
  });
});
