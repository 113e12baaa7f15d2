import { describe, expect, it } from '@jest/globals';
import { check, VALID_AGENT, VALID_SECRETS } from './settings-helpers.js';

const inputsOf = (result: ReturnType<typeof check>) => result.problems.map((p) => p.input);

describe('cross-field rules', () => {
  describe('by purpose', () => {
    it('requires every generated secret for serve, and nothing for generate', () => {
      expect(inputsOf(check({}, 'serve'))).toEqual([
        'GYRE_JOIN_SECRET',
        'GYRE_ADMIN_PASSWORD',
        'GYRE_ENCRYPTION_KEY',
        'GYRE_SESSION_SECRET',
        'GYRE_DB_PASSWORD',
      ]);
      expect(check({}, 'generate').problems).toEqual([]);
    });

    it('tells a services box to run `gyre init` and names the _FILE alternative', () => {
      expect(check({ ...VALID_SECRETS, GYRE_ADMIN_PASSWORD: '' }, 'serve').problems).toEqual([
        {
          input: 'GYRE_ADMIN_PASSWORD',
          message: 'is required by the services box but is not set',
          hint: 'run `gyre init` to generate a .env with strong secrets, or set GYRE_ADMIN_PASSWORD (or GYRE_ADMIN_PASSWORD_FILE) yourself',
        },
      ]);
    });

    it('requires only the join secret and services URL for agent', () => {
      expect(check(VALID_AGENT, 'agent').problems).toEqual([]);
      expect(check({}, 'agent').problems).toEqual([
        {
          input: 'GYRE_JOIN_SECRET',
          message: 'is required by a builder but is not set',
          hint: "copy GYRE_JOIN_SECRET from the services box's .env (or set CIRCLE_SECRET_PASSPHRASE, or GYRE_JOIN_SECRET_FILE)",
        },
        {
          input: 'GYRE_SERVICES_URL',
          message: 'is required by a builder but is not set',
          hint: 'set it to the URL builders use to reach the services box, e.g. GYRE_SERVICES_URL=http://10.0.0.5 (or SERVICES_PRIVATE_IP=10.0.0.5)',
        },
      ]);
    });

    it('needs no GYRE_DB_PASSWORD with an external database, and warns that a leftover one is ignored', () => {
      const { GYRE_DB_PASSWORD: _unused, ...secrets } = VALID_SECRETS;
      const external = { ...secrets, GYRE_DATABASE_URL: 'postgres://gyre:pw@db.internal/gyre' };
      expect(check(external, 'serve').settings?.database).toEqual({
        kind: 'external',
        url: 'postgres://gyre:pw@db.internal/gyre',
      });
      expect(check({ ...external, GYRE_DB_PASSWORD: VALID_SECRETS.GYRE_DB_PASSWORD }, 'serve').warnings).toEqual([
        'GYRE_DB_PASSWORD is ignored because GYRE_DATABASE_URL points at an external database',
      ]);
    });
  });

  describe('TLS', () => {
    it('turns HTTPS on with both files and derives an https public URL', () => {
      const settings = check(
        {
          ...VALID_SECRETS,
          GYRE_HOSTNAME: 'ci.example.com',
          GYRE_TLS_CERT_FILE: '/c.pem',
          GYRE_TLS_KEY_FILE: '/k.pem',
        },
        'serve',
      ).settings;
      expect(settings?.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
      expect(settings?.publicUrl).toBe('https://ci.example.com');
    });

    it('asks for the certificate when only the key is set', () => {
      expect(check({ ...VALID_SECRETS, GYRE_TLS_KEY_FILE: '/k.pem' }, 'serve').problems).toEqual([
        {
          input: 'GYRE_TLS_CERT_FILE',
          message: 'is required because GYRE_TLS_KEY_FILE is set (TLS needs both a certificate and its key)',
          hint: 'set GYRE_TLS_CERT_FILE, or unset GYRE_TLS_KEY_FILE to serve plain HTTP',
        },
      ]);
    });

    it('does not call the key missing when it is set but invalid', () => {
      expect(
        inputsOf(check({ ...VALID_SECRETS, GYRE_TLS_CERT_FILE: '/c.pem', GYRE_TLS_KEY_FILE: 'k.pem' }, 'serve')),
      ).toEqual(['GYRE_TLS_KEY_FILE']);
    });

    it('warns that GYRE_HTTPS_PORT does nothing while TLS is off', () => {
      expect(check({ ...VALID_SECRETS, GYRE_HTTPS_PORT: '8443' }, 'serve').warnings).toEqual([
        'GYRE_HTTPS_PORT is ignored because TLS is off; set GYRE_TLS_CERT_FILE and GYRE_TLS_KEY_FILE to serve HTTPS',
      ]);
    });
  });

  describe('ports', () => {
    it('refuses the admin console on the HTTP port', () => {
      expect(check({ ...VALID_SECRETS, GYRE_ADMIN_PORT: '80' }, 'serve').problems).toEqual([
        {
          input: 'GYRE_ADMIN_PORT',
          message: 'uses port 80, which GYRE_HTTP_PORT already uses',
          hint: 'give GYRE_ADMIN_PORT a port of its own; every listener needs one',
        },
      ]);
    });

    it('ignores the HTTPS port when TLS is off, so it may equal another port', () => {
      expect(check({ ...VALID_SECRETS, GYRE_HTTP_PORT: '443' }, 'serve').problems).toEqual([]);
    });

    it('refuses HTTPS on the admin port when TLS is on', () => {
      const tls = { GYRE_TLS_CERT_FILE: '/c.pem', GYRE_TLS_KEY_FILE: '/k.pem' };
      expect(inputsOf(check({ ...VALID_SECRETS, ...tls, GYRE_HTTPS_PORT: '8800' }, 'serve'))).toEqual([
        'GYRE_HTTPS_PORT',
      ]);
    });

    it('derives a public URL with the port when it is not the standard one', () => {
      expect(check({ ...VALID_SECRETS, GYRE_HTTP_PORT: '8080' }, 'serve').settings?.publicUrl).toBe(
        'http://localhost:8080',
      );
      expect(check({ ...VALID_SECRETS, GYRE_PUBLIC_URL: 'https://ci.example.com/' }, 'serve').settings?.publicUrl).toBe(
        'https://ci.example.com',
      );
    });
  });

  describe('unknown GYRE_ variables', () => {
    it('warns about a typo and suggests the closest setting, without failing', () => {
      const result = check({ ...VALID_SECRETS, GYRE_HOSTNMAE: 'ci.example.com' }, 'serve');
      expect(result.settings).toBeDefined();
      expect(result.warnings).toEqual([
        'GYRE_HOSTNMAE is not a Gyre setting and is ignored; did you mean GYRE_HOSTNAME?',
      ]);
    });

    it('suggests the _FILE variable for a misspelled one', () => {
      expect(check({ ...VALID_SECRETS, GYRE_DB_PASSWORD_FLIE: '/x' }, 'serve').warnings).toEqual([
        'GYRE_DB_PASSWORD_FLIE is not a Gyre setting and is ignored; did you mean GYRE_DB_PASSWORD_FILE?',
      ]);
    });

    it('makes no guess when nothing is close', () => {
      expect(check({ GYRE_COMPLETELY_DIFFERENT: 'x' }, 'generate').warnings).toEqual([
        'GYRE_COMPLETELY_DIFFERENT is not a Gyre setting and is ignored',
      ]);
    });

    it('leaves other variables and GYRE_DEBUG alone', () => {
      expect(
        check({ PATH: '/bin', HOME: '/root', CIRCLE_BRANCH: 'main', GYRE_DEBUG: '1' }, 'generate').warnings,
      ).toEqual([]);
    });
  });
});
