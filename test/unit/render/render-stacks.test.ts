import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readStackTemplates } from '../../../src/orchestrator/stack/stack-templates.js';
import { packageRoot } from '../../../src/shared/package-files.js';
import { renderBuilderStack, renderServicesStack } from '../../../src/render/index.js';
import { settingsFrom } from '../../support/settings.js';
import { expectGolden } from './golden.js';

const templates = readStackTemplates();
const options = { version: '0.1.0' };
const services = (values: Record<string, string>) => renderServicesStack(settingsFrom(values), templates, options);
const builder = (values: Record<string, string>) => renderBuilderStack(settingsFrom(values), templates, options);

interface ComposeService {
  ports?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  configs?: { source: string; target: string }[];
  stop_grace_period?: string;
  image?: string;
  depends_on?: unknown;
}
function serviceOf(text: string, name: string): ComposeService {
  const service = (parse(text) as { services: Record<string, ComposeService> }).services[name];
  if (!service) throw new Error(`the rendered file has no service ${name}`);
  return service;
}

describe('renderServicesStack', () => {
  it('renders the default settings exactly as committed under compose/', () => {
    const committed = readFileSync(join(packageRoot, 'compose/services.yml'), 'utf8');
    expect(services({}).text).toBe(committed);
  });

  it('renders the same text for the same settings (deterministic)', () => {
    const values = {
      GYRE_HTTP_PROXY: 'http://proxy:3128',
      GYRE_EXTRA_CA_CERTS_FILE: '/etc/ca.pem',
      GYRE_HOSTNAME: 'ci.example.com',
    };
    expect(services(values).text).toBe(services({ ...values }).text);
  });

  it('publishes HTTPS and mounts the certificate and key when TLS is on', () => {
    const rendered = services({
      GYRE_TLS_CERT_FILE: '/etc/gyre/cert.pem',
      GYRE_TLS_KEY_FILE: '/etc/gyre/key.pem',
      GYRE_HOSTNAME: 'ci.example.com',
    });
    expectGolden('services-tls.yml', rendered.text);
    const app = serviceOf(rendered.text, 'app');
    expect(app.ports).toEqual(['0.0.0.0:80:80', '0.0.0.0:443:443', '0.0.0.0:8800:8800']);
    expect(app.environment).toMatchObject({
      GYRE_PUBLIC_URL: 'https://ci.example.com',
      GYRE_TLS_KEY_FILE: '/run/secrets/gyre_tls_key',
    });
    expect(rendered.secrets.find((s) => s.name === 'gyre_tls_key')?.file).toBe('/etc/gyre/key.pem');
  });

  it('does not publish 443 when TLS is off', () => {
    expect(serviceOf(services({}).text, 'app').ports).toEqual(['0.0.0.0:80:80', '0.0.0.0:8800:8800']);
  });

  it('trusts extra CA certificates at run time through NODE_EXTRA_CA_CERTS', () => {
    const rendered = services({ GYRE_EXTRA_CA_CERTS_FILE: '/etc/ssl/certs/corp.pem' });
    expectGolden('services-extra-ca.yml', rendered.text);
    const app = serviceOf(rendered.text, 'app');
    expect(app.configs).toEqual([{ source: 'gyre_extra_ca', target: '/etc/gyre/extra-ca.pem' }]);
    expect(app.environment).toMatchObject({ NODE_EXTRA_CA_CERTS: '/etc/gyre/extra-ca.pem' });
  });

  it('passes proxies in both spellings and turns on Node fetch proxy support', () => {
    const rendered = services({
      GYRE_HTTP_PROXY: 'http://proxy:3128',
      GYRE_HTTPS_PROXY: 'http://proxy:3129',
      GYRE_NO_PROXY: 'localhost,.internal',
    });
    expectGolden('services-proxy.yml', rendered.text);
    expect(serviceOf(rendered.text, 'app').environment).toMatchObject({
      HTTP_PROXY: 'http://proxy:3128',
      http_proxy: 'http://proxy:3128',
      HTTPS_PROXY: 'http://proxy:3129',
      NO_PROXY: 'localhost,.internal',
      NODE_USE_ENV_PROXY: '1',
    });
  });

  it('renders no db service and reads the URL as a secret when GYRE_DATABASE_URL is set', () => {
    const rendered = services({ GYRE_DATABASE_URL: 'postgres://gyre:pw@db.internal:5432/gyre' });
    expectGolden('services-external-db.yml', rendered.text);
    const doc = parse(rendered.text) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
    expect(Object.keys(doc.services)).toEqual(['app']);
    expect(Object.keys(doc.volumes)).toEqual(['gyre-data']);
    expect(doc.services['app']!.depends_on).toBeUndefined();
    expect(rendered.text).not.toContain('db.internal');
    expect(rendered.secrets.find((s) => s.name === 'gyre_database_url')?.value).toBe(
      'postgres://gyre:pw@db.internal:5432/gyre',
    );
  });

  it('passes an S3 blob store to the app, its secret access key as a secret file', () => {
    const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const rendered = services({
      GYRE_BLOB_STORE: 's3://gyre-blobs/ci',
      GYRE_S3_ENDPOINT: 'http://minio.internal:9000',
      GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      GYRE_S3_SECRET_ACCESS_KEY: secretAccessKey,
      GYRE_S3_FORCE_PATH_STYLE: 'yes',
    });
    expectGolden('services-s3.yml', rendered.text);
    const app = serviceOf(rendered.text, 'app');
    expect(app.environment).toMatchObject({
      GYRE_BLOB_STORE: 's3://gyre-blobs/ci',
      GYRE_S3_ENDPOINT: 'http://minio.internal:9000',
      GYRE_S3_REGION: 'us-east-1',
      GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      GYRE_S3_FORCE_PATH_STYLE: 'true',
      GYRE_S3_SECRET_ACCESS_KEY_FILE: '/run/secrets/gyre_s3_secret_access_key',
    });
    expect(app.secrets).toContain('gyre_s3_secret_access_key');
    expect(rendered.text).not.toContain(secretAccessKey);
    expect(rendered.secrets.find((s) => s.name === 'gyre_s3_secret_access_key')?.value).toBe(secretAccessKey);
  });

  it('passes scheduled backups to an S3 prefix with the S3 settings and secret, though blobs stay in files', () => {
    const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const rendered = services({
      GYRE_BACKUP_SCHEDULE: '0 3 * * *',
      GYRE_BACKUP_KEEP: '14',
      GYRE_BACKUP_DESTINATION: 's3://gyre-backups/ci',
      GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      GYRE_S3_SECRET_ACCESS_KEY: secretAccessKey,
    });
    const app = serviceOf(rendered.text, 'app');
    expect(app.environment).toMatchObject({
      GYRE_BACKUP_SCHEDULE: '0 3 * * *',
      GYRE_BACKUP_KEEP: '14',
      GYRE_BACKUP_DESTINATION: 's3://gyre-backups/ci',
      GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      GYRE_S3_SECRET_ACCESS_KEY_FILE: '/run/secrets/gyre_s3_secret_access_key',
    });
    expect(app.environment).not.toHaveProperty('GYRE_BLOB_STORE');
    expect(rendered.text).not.toContain(secretAccessKey);
  });

  it('passes nothing about backups while no schedule is set', () => {
    const app = serviceOf(services({ GYRE_BACKUP_KEEP: '3' }).text, 'app');
    expect(Object.keys(app.environment!).filter((name) => /BACKUP/.test(name))).toEqual([]);
  });

  it('passes nothing about blobs for the default file store, which needs only the data volume', () => {
    const app = serviceOf(services({}).text, 'app');
    expect(Object.keys(app.environment!).filter((name) => /BLOB|S3/.test(name))).toEqual([]);
    expect(app.secrets).not.toContain('gyre_s3_secret_access_key');
  });

  it('passes the retention, upload and job log limits that differ from their defaults, and only those', () => {
    const defaults = serviceOf(services({ GYRE_CACHE_MAX_SIZE: '10240M' }).text, 'app').environment!;
    expect(Object.keys(defaults).filter((name) => /CACHE|ARTIFACT|WORKSPACE|JOB_LOG/.test(name))).toEqual([]);
    const changed = services({
      GYRE_CACHE_MAX_AGE_DAYS: '7',
      GYRE_CACHE_MAX_TOTAL_SIZE: '200G',
      GYRE_ARTIFACT_MAX_AGE_DAYS: '90',
      GYRE_CACHE_MAX_SIZE: '2048M',
      GYRE_WORKSPACE_MAX_SIZE: '1500K',
      GYRE_ARTIFACT_MAX_SIZE: '1G',
      GYRE_JOB_LOG_MAX_SIZE: '256M',
    });
    expect(serviceOf(changed.text, 'app').environment).toMatchObject({
      GYRE_CACHE_MAX_AGE_DAYS: '7',
      GYRE_CACHE_MAX_TOTAL_SIZE: '200G',
      GYRE_ARTIFACT_MAX_AGE_DAYS: '90',
      GYRE_CACHE_MAX_SIZE: '2G',
      GYRE_WORKSPACE_MAX_SIZE: '1500K',
      GYRE_ARTIFACT_MAX_SIZE: '1G',
      GYRE_JOB_LOG_MAX_SIZE: '256M',
    });
  });

  it('uses the configured image names', () => {
    const text = services({
      GYRE_APP_IMAGE: 'registry.example.com/gyre/app:9',
      GYRE_DB_IMAGE: 'registry.example.com/pg:15',
    }).text;
    expect(serviceOf(text, 'app').image).toBe('registry.example.com/gyre/app:9');
    expect(serviceOf(text, 'db').image).toBe('registry.example.com/pg:15');
  });

  it('publishes on the configured address and ports', () => {
    const text = services({ GYRE_BIND_ADDRESS: '127.0.0.1', GYRE_HTTP_PORT: '18080', GYRE_ADMIN_PORT: '18800' }).text;
    expect(serviceOf(text, 'app').ports).toEqual(['127.0.0.1:18080:80', '127.0.0.1:18800:8800']);
    expect(serviceOf(text, 'app').environment!['GYRE_PUBLIC_URL']).toBe('http://localhost:18080');
  });

  it('keeps secret values out of the Compose file', () => {
    const secret = 'S3cret-value-that-must-not-leak-0123456789';
    const rendered = services({
      GYRE_JOIN_SECRET: secret,
      GYRE_DB_PASSWORD: `${secret}-db`,
      GYRE_SESSION_SECRET: `${secret}-session`,
    });
    expect(rendered.text).not.toContain(secret);
    expect(rendered.secrets.map((s) => s.value)).toEqual(
      expect.arrayContaining([secret, `${secret}-db`, `${secret}-session`]),
    );
  });
});

describe('renderBuilderStack', () => {
  it('renders the default settings exactly as committed under compose/', () => {
    expect(builder({}).text).toBe(readFileSync(join(packageRoot, 'compose/builder.yml'), 'utf8'));
  });

  it('passes capacity overrides, including the CircleCI aliases, to the agent', () => {
    const rendered = builder({
      CIRCLE_NUM_CONTAINERS: '3',
      CIRCLE_CONTAINER_CPUS: '0',
      CIRCLE_CONTAINER_MEMORY_LIMIT: '6G',
      SERVICES_PRIVATE_IP: '10.0.0.5',
      GYRE_BUILDER_NAME: 'b1',
    });
    expectGolden('builder-capacity.yml', rendered.text);
    expect(serviceOf(rendered.text, 'agent').environment).toMatchObject({
      GYRE_BUILDER_SLOTS: '3',
      GYRE_SLOT_CPUS: '0',
      GYRE_SLOT_MEMORY: '6G',
      GYRE_SERVICES_URL: 'http://10.0.0.5',
      GYRE_BUILDER_NAME: 'b1',
    });
    expect(rendered.projectName).toBe('gyre-builder-b1');
  });

  it("with TLS on, sends the local builder to the HTTPS listener under the certificate's name, on loopback, trusting the certificate", () => {
    const rendered = builder({
      GYRE_HOSTNAME: 'ci.example.com',
      GYRE_HTTPS_PORT: '8443',
      GYRE_TLS_CERT_FILE: '/etc/gyre-tls/cert.pem',
      GYRE_TLS_KEY_FILE: '/etc/gyre-tls/key.pem',
    });
    const document = parse(rendered.text) as {
      services: { agent: ComposeService & { extra_hosts?: string[] } };
      configs: unknown;
    };
    expect(document.services.agent.environment).toMatchObject({
      GYRE_SERVICES_URL: 'https://ci.example.com:8443',
      GYRE_SERVICES_CA_FILE: '/etc/gyre/services-ca.pem',
    });
    expect(document.services.agent.extra_hosts).toEqual(['ci.example.com:127.0.0.1']);
    expect(document.configs).toEqual({ gyre_services_ca: { file: '/etc/gyre-tls/cert.pem' } });

    // A CA of its own wins over the certificate; a name that is an address needs no hosts entry.
    const private_ = parse(
      builder({
        GYRE_HOSTNAME: '10.0.0.5',
        GYRE_TLS_CERT_FILE: '/etc/gyre-tls/cert.pem',
        GYRE_TLS_KEY_FILE: '/etc/gyre-tls/key.pem',
        GYRE_SERVICES_CA_FILE: '/etc/private-ca.pem',
      }).text,
    ) as { services: { agent: ComposeService & { extra_hosts?: string[] } }; configs: unknown };
    expect(private_.services.agent.environment?.['GYRE_SERVICES_URL']).toBe('https://10.0.0.5');
    expect(private_.services.agent.extra_hosts).toBeUndefined();
    expect(private_.configs).toEqual({ gyre_services_ca: { file: '/etc/private-ca.pem' } });
  });

  it('with TLS on, leaves a builder given GYRE_SERVICES_URL to reach it there', () => {
    const rendered = builder({
      GYRE_HOSTNAME: 'ci.example.com',
      GYRE_TLS_CERT_FILE: '/etc/gyre-tls/cert.pem',
      GYRE_TLS_KEY_FILE: '/etc/gyre-tls/key.pem',
      GYRE_SERVICES_URL: 'https://gyre.internal',
    });
    const agent = serviceOf(rendered.text, 'agent') as ComposeService & { extra_hosts?: string[] };
    expect(agent.environment?.['GYRE_SERVICES_URL']).toBe('https://gyre.internal');
    expect(agent.extra_hosts).toBeUndefined();
    expect(agent.configs).toBeUndefined();
  });

  it('sets stop_grace_period to the drain deadline so `docker compose stop` drains', () => {
    expect(serviceOf(builder({ GYRE_DRAIN_TIMEOUT: '1h30m' }).text, 'agent').stop_grace_period).toBe('1h30m');
  });

  it('gives the agent the join secret as a file and the extra CA bundle', () => {
    const rendered = builder({ GYRE_EXTRA_CA_CERTS_FILE: '/etc/ca.pem' });
    const agent = serviceOf(rendered.text, 'agent');
    expect(agent.secrets).toEqual(['gyre_join_secret']);
    expect(agent.environment).toMatchObject({
      GYRE_JOIN_SECRET_FILE: '/run/secrets/gyre_join_secret',
      NODE_EXTRA_CA_CERTS: '/etc/gyre/extra-ca.pem',
    });
  });

  it("mounts the services box's CA beside the extra CA, each where the agent reads it, with the egress and job settings", () => {
    const rendered = builder({
      GYRE_EXTRA_CA_CERTS_FILE: '/etc/ca.pem',
      GYRE_SERVICES_CA_FILE: '/etc/gyre-tls/cert.pem',
      GYRE_EGRESS_ALLOW: '10.0.5.0/24, 10.0.5.7:5432',
      GYRE_JOB_MAX_SERVICES: '3',
      GYRE_JOB_DISK: '20480M',
      GYRE_EGRESS_DENY: '203.0.113.10, 10.0.0.0/8',
    });
    const document = parse(rendered.text) as {
      services: { agent: { configs: unknown; environment: Record<string, string> } };
      configs: unknown;
    };
    expect(document.services.agent.configs).toEqual([
      { source: 'gyre_extra_ca', target: '/etc/gyre/extra-ca.pem' },
      { source: 'gyre_services_ca', target: '/etc/gyre/services-ca.pem' },
    ]);
    expect(document.configs).toEqual({
      gyre_extra_ca: { file: '/etc/ca.pem' },
      gyre_services_ca: { file: '/etc/gyre-tls/cert.pem' },
    });
    expect(document.services.agent.environment).toMatchObject({
      GYRE_SERVICES_CA_FILE: '/etc/gyre/services-ca.pem',
      GYRE_EGRESS_POLICY: 'enforce',
      GYRE_EGRESS_ALLOW: '10.0.5.0/24,10.0.5.7:5432',
      GYRE_JOB_MAX_SERVICES: '3',
      GYRE_JOB_DISK: '20G',
      GYRE_EGRESS_DENY: '203.0.113.10,10.0.0.0/8',
    });
  });

  it("for a remote host, reads the join secret from Compose's environment and writes no secret file", () => {
    const rendered = renderBuilderStack(settingsFrom({ GYRE_JOIN_SECRET: 'j'.repeat(40) }), templates, {
      ...options,
      joinSecretSource: 'environment',
    });
    const document = parse(rendered.text) as { secrets: Record<string, unknown> };
    expect(document.secrets).toEqual({ gyre_join_secret: { environment: 'GYRE_JOIN_SECRET' } });
    expect(rendered.secrets).toEqual([]);
    expect(rendered.text).not.toContain('j'.repeat(40));
  });

  it("for a remote host, takes the services CA's content from Compose's environment; the extra CA bundle, too large for a variable, stays a file", () => {
    const rendered = renderBuilderStack(
      settingsFrom({ GYRE_EXTRA_CA_CERTS_FILE: '/etc/ca.pem', GYRE_SERVICES_CA_FILE: '/etc/gyre-tls/cert.pem' }),
      templates,
      { ...options, joinSecretSource: 'environment' },
    );
    const document = parse(rendered.text) as { configs: unknown; services: { agent: { configs: unknown } } };
    expect(document.configs).toEqual({
      gyre_extra_ca: { file: '/etc/ca.pem' },
      gyre_services_ca: { environment: 'GYRE_SERVICES_CA_PEM' },
    });
    expect(document.services.agent.configs).toEqual([
      { source: 'gyre_extra_ca', target: '/etc/gyre/extra-ca.pem' },
      { source: 'gyre_services_ca', target: '/etc/gyre/services-ca.pem' },
    ]);
    expect(rendered.text).not.toContain('/etc/gyre-tls/cert.pem');
  });

  it('gives a second builder on the same host its own local API port, in the command and the health check', () => {
    const agent = serviceOf(
      renderBuilderStack(settingsFrom({}), templates, { ...options, agentApiPort: 7624 }).text,
      'agent',
    ) as ComposeService & { command: string[]; healthcheck: { test: string[] } };
    expect(agent.command).toEqual(['agent', '--api-port', '7624']);
    expect(agent.healthcheck.test.slice(-2)).toEqual(['7624', '/healthz']);
  });
});
