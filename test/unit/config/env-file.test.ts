import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  checkSettings,
  generateSecrets,
  parseEnvFile,
  renderEnvFile,
  renderEnvFileWithoutSecrets,
  secretSettingNames,
  settingNames,
  type SettingName,
} from '../../../src/config/index.js';

/** What `gyre init` writes, read back the way every command reads it. */
function initFile(extra: Partial<Record<SettingName, string>> = {}): Record<string, string> {
  return parseEnvFile(renderEnvFile({ ...generateSecrets(randomBytes), ...extra }));
}

const check = (values: Record<string, string>, purpose: 'serve' | 'agent' | 'generate') =>
  checkSettings({ name: '.env', values, readFile: () => '' }, purpose);

describe('parseEnvFile', () => {
  it('reads variables without touching process.env', () => {
    const before = { ...process.env };
    const values = parseEnvFile('GYRE_TEST_ONLY_VARIABLE=1\nPATH=/nowhere\nexport GYRE_HOSTNAME=ci.example.com\n');
    expect(values).toEqual({ GYRE_TEST_ONLY_VARIABLE: '1', PATH: '/nowhere', GYRE_HOSTNAME: 'ci.example.com' });
    expect(process.env).toEqual(before);
  });

  it('handles comments, quotes and blank lines the way users write them', () => {
    expect(parseEnvFile('# comment\n\nA=1 # trailing\nB=\'x # y\'\nC="two words"\nD=\n')).toEqual({
      A: '1',
      B: 'x # y',
      C: 'two words',
      D: '',
    });
  });
});

describe('generateSecrets', () => {
  it('generates every secret gyre init promises: join secret, admin password, encryption key, session secret, database password', () => {
    expect(Object.keys(generateSecrets(randomBytes)).sort()).toEqual([
      'GYRE_ADMIN_PASSWORD',
      'GYRE_DB_PASSWORD',
      'GYRE_ENCRYPTION_KEY',
      'GYRE_JOIN_SECRET',
      'GYRE_SESSION_SECRET',
    ]);
  });

  it('gives different secrets on every run', () => {
    const [first, second] = [generateSecrets(randomBytes), generateSecrets(randomBytes)];
    for (const name of Object.keys(first) as SettingName[]) expect(first[name]).not.toBe(second[name]);
  });

  it.each([
    ['GYRE_JOIN_SECRET', 256],
    ['GYRE_ADMIN_PASSWORD', 120],
    ['GYRE_ENCRYPTION_KEY', 256],
    ['GYRE_SESSION_SECRET', 384],
    ['GYRE_DB_PASSWORD', 192],
  ] as const)('draws %s from at least %d random bits and encodes all of them', (name, bits) => {
    const requested: number[] = [];
    const secrets = generateSecrets((size) => (requested.push(size), randomBytes(size)));
    // Secrets are drawn in the order they are listed.
    const bytes = requested[Object.keys(secrets).indexOf(name)]!;
    expect(bytes * 8).toBeGreaterThanOrEqual(bits);
    // base64 carries 6 bits a character; padding carries none.
    expect(secrets[name]!.replace(/=+$/, '').length * 6).toBeGreaterThanOrEqual(bytes * 8);
  });

  it('writes secrets that need no quoting in a .env file or a URL', () => {
    const { GYRE_ENCRYPTION_KEY: key, ...others } = generateSecrets(randomBytes);
    for (const value of Object.values(others)) expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
  });
});

describe('renderEnvFile', () => {
  it('writes a file that loads back as valid for serve', () => {
    const result = check(initFile(), 'serve');
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('writes a file that loads back as valid for agent once GYRE_SERVICES_URL is added', () => {
    expect(check(initFile(), 'agent').problems.map((p) => p.input)).toEqual(['GYRE_SERVICES_URL']);
    expect(check(initFile({ GYRE_SERVICES_URL: 'http://10.0.0.5' }), 'agent').problems).toEqual([]);
  });

  it('reads back exactly the secrets it was given', () => {
    const secrets = generateSecrets(randomBytes);
    expect(parseEnvFile(renderEnvFile(secrets))).toEqual(secrets);
  });

  it.each(['two words', 'has # hash', 'dollar $HOME', "it's", 'say "hi"', 'back\\slash', ' padded '])(
    'writes %j so that dotenv reads the same text back',
    (value) => {
      expect(parseEnvFile(renderEnvFile({ GYRE_NO_PROXY: value }))['GYRE_NO_PROXY']).toBe(value);
    },
  );

  it('refuses a value that a .env file cannot hold rather than writing a different one', () => {
    expect(() => renderEnvFile({ GYRE_NO_PROXY: 'a\'b"c' })).toThrow(/GYRE_NO_PROXY cannot be written to a .env file/);
    expect(() => renderEnvFile({ GYRE_NO_PROXY: 'line\nbreak' })).toThrow(/GYRE_NO_PROXY cannot be written/);
  });

  it('documents every setting, commenting out the unset ones at their defaults', () => {
    const text = renderEnvFile({});
    for (const name of settingNames) expect(text).toMatch(new RegExp(`^# ${name}=`, 'm'));
    expect(text).toContain('# GYRE_HOSTNAME=localhost');
    expect(parseEnvFile(text)).toEqual({});
  });

  it('marks every secret as one', () => {
    const text = renderEnvFile({});
    for (const name of secretSettingNames) expect(text).toMatch(new RegExp(`\\(secret\\)\\n# ${name}=`));
  });
});

describe('renderEnvFileWithoutSecrets', () => {
  it('leaves out every secret setting and the password of a URL, keeping the rest', () => {
    const text = renderEnvFileWithoutSecrets({
      GYRE_HOSTNAME: 'ci.example.com',
      GYRE_ENCRYPTION_KEY: 'Z3lyZS1maXh0dXJlLWVuY3J5cHRpb24ta2V5LTAwMzI=',
      GYRE_DB_PASSWORD: 'fixture-db-password',
      GYRE_HTTPS_PROXY: 'http://ops:proxy-pass@proxy.internal:3128',
      GYRE_HTTP_PROXY: 'http://proxy.internal:3128',
      NOT_A_SETTING: 'kept out',
    });
    const values = parseEnvFile(text);
    expect(values['GYRE_HOSTNAME']).toBe('ci.example.com');
    expect(values['GYRE_HTTP_PROXY']).toBe('http://proxy.internal:3128');
    expect(values['GYRE_HTTPS_PROXY']).toBe('http://ops:REDACTED@proxy.internal:3128/');
    for (const leaked of ['Z3lyZS1', 'fixture-db-password', 'proxy-pass', 'kept out'])
      expect(text).not.toContain(leaked);
  });
});
