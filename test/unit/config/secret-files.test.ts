import { describe, expect, it } from '@jest/globals';
import { secretSettingNames, type SettingName } from '../../../src/config/index.js';
import { checkSettings } from '../../../src/config/index.js';
import { check, sourceOf, VALID_SECRETS } from './settings-helpers.js';

const DATABASE_URL = 'postgres://gyre:secret@db.internal:5432/gyre';
const S3_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const valueOf = (name: SettingName) =>
  name === 'GYRE_DATABASE_URL'
    ? DATABASE_URL
    : name === 'GYRE_S3_SECRET_ACCESS_KEY'
      ? S3_SECRET_ACCESS_KEY
      : VALID_SECRETS[name as keyof typeof VALID_SECRETS];
/** Settings a secret belongs with: the S3 key is read only for an S3 blob store. */
const companionsOf = (name: SettingName): Record<string, string> =>
  name === 'GYRE_S3_SECRET_ACCESS_KEY' ? { GYRE_BLOB_STORE: 's3://gyre-blobs', GYRE_S3_ACCESS_KEY_ID: 'AKIA0' } : {};

/** Valid serve settings with one secret in `NAME_FILE` instead of its variable. */
function withSecretInFile(name: SettingName, fileValue: string | undefined): ReturnType<typeof check> {
  const { GYRE_DB_PASSWORD, ...others } = VALID_SECRETS;
  const values: Record<string, string> = {
    ...(name === 'GYRE_DATABASE_URL' ? others : { ...others, GYRE_DB_PASSWORD }),
    ...companionsOf(name),
  };
  delete values[name];
  values[`${name}_FILE`] = `/run/secrets/${name}`;
  return check(values, 'serve', fileValue === undefined ? {} : { [`/run/secrets/${name}`]: fileValue });
}

describe('NAME_FILE secrets', () => {
  it('covers exactly the secrets, including the external database URL', () => {
    expect(secretSettingNames).toEqual([
      'GYRE_DATABASE_URL',
      'GYRE_DB_PASSWORD',
      'GYRE_JOIN_SECRET',
      'GYRE_ADMIN_PASSWORD',
      'GYRE_ENCRYPTION_KEY',
      'GYRE_SESSION_SECRET',
      'GYRE_S3_SECRET_ACCESS_KEY',
    ]);
  });

  describe.each(secretSettingNames)('%s_FILE', (name) => {
    it('reads the secret from the file and strips the trailing newline an editor adds', () => {
      const result = withSecretInFile(name, `${valueOf(name)}\n`);
      expect(result.problems).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(JSON.stringify(result.settings)).toContain(JSON.stringify(valueOf(name)));
    });

    it('names the variable and the path when the file is missing', () => {
      expect(withSecretInFile(name, undefined).problems).toEqual([
        {
          input: `${name}_FILE`,
          message: `cannot read /run/secrets/${name}: no such file`,
          hint: 'point it at a readable file that holds only the secret',
        },
      ]);
    });

    it('says the file is empty rather than that the secret is missing', () => {
      expect(withSecretInFile(name, '\n').problems).toEqual([
        {
          input: `${name}_FILE`,
          message: `/run/secrets/${name} is empty`,
          hint: `write the secret into the file, or unset ${name}_FILE`,
        },
      ]);
    });

    it('refuses the secret set both directly and through the file', () => {
      const result = check(
        { ...VALID_SECRETS, ...companionsOf(name), [name]: valueOf(name), [`${name}_FILE`]: '/run/secrets/x' },
        'serve',
        { '/run/secrets/x': valueOf(name) },
      );
      expect(result.problems).toEqual([
        {
          input: name,
          message: `is set both directly and through ${name}_FILE`,
          hint: `keep only one of ${name} and ${name}_FILE`,
        },
      ]);
    });
  });

  it('strips only one trailing newline (CRLF too) and keeps inner whitespace', () => {
    const result = withSecretInFile('GYRE_ADMIN_PASSWORD', 'pass word  with spaces\r\n');
    expect(result.settings?.secrets.adminPassword).toBe('pass word  with spaces');
  });

  it('reports a weak secret from a file under the file variable and its path', () => {
    expect(withSecretInFile('GYRE_SESSION_SECRET', 'short\n').problems).toEqual([
      {
        input: 'GYRE_SESSION_SECRET_FILE (/run/secrets/GYRE_SESSION_SECRET)',
        message: 'must be at least 32 characters long',
        hint: expect.stringContaining('openssl rand'),
      },
    ]);
  });

  it('explains a permission error and a directory without the raw errno text', () => {
    const failing = (code: string) => () => {
      throw Object.assign(new Error(`${code}: raw text`), { code });
    };
    const messages = ['EACCES', 'EISDIR', 'EIO'].map((code) => {
      const source = {
        ...sourceOf({ ...VALID_SECRETS, GYRE_JOIN_SECRET: '', GYRE_JOIN_SECRET_FILE: '/s' }),
        readFile: failing(code),
      };
      return checkSettings(source, 'generate').problems[0]?.message;
    });
    expect(messages).toEqual([
      'cannot read /s: permission denied',
      'cannot read /s: it is a directory, not a file',
      'cannot read /s: EIO: raw text',
    ]);
  });

  it('does not treat _FILE as special for a setting that is not a secret, and says so', () => {
    const result = check({ ...VALID_SECRETS, GYRE_HOSTNAME_FILE: '/etc/hostname' }, 'serve', {
      '/etc/hostname': 'ci.example.com',
    });
    expect(result.settings?.hostname).toBe('localhost');
    expect(result.warnings).toEqual([
      'GYRE_HOSTNAME_FILE is ignored: only secrets can be read from a file, and GYRE_HOSTNAME is not one; set GYRE_HOSTNAME directly',
    ]);
  });

  it('reads settings whose own name ends in _FILE as plain paths, never opening them', () => {
    const result = check(
      { ...VALID_SECRETS, GYRE_TLS_CERT_FILE: '/etc/gyre/cert.pem', GYRE_TLS_KEY_FILE: '/etc/gyre/key.pem' },
      'serve',
    );
    expect(result.problems).toEqual([]);
    expect(result.settings?.tls).toEqual({ certFile: '/etc/gyre/cert.pem', keyFile: '/etc/gyre/key.pem' });
  });
});
