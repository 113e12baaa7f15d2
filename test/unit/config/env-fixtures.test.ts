import { readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { SettingsPurpose } from '../../../src/config/index.js';
import { checkFixture, FIXTURES_DIR, problemLines } from './settings-helpers.js';

// Every fixture in test/fixtures/env/ has a row here; good ones first, broken ones next to them.
const GOOD: Record<string, SettingsPurpose[]> = {
  'good-serve.env': ['serve', 'generate'],
  'good-serve-external-db.env': ['serve', 'generate'],
  'good-serve-tls.env': ['serve', 'generate'],
  'good-agent.env': ['agent', 'generate'],
  'good-agent-circle-aliases.env': ['agent', 'generate'],
  'good-generate-empty.env': ['generate'],
};

/** The exact problems a user sees, in order: `VARIABLE: what is wrong`. */
const BAD: Record<string, { purpose: SettingsPurpose; problems: RegExp[] }> = {
  'bad-five-problems.env': {
    purpose: 'serve',
    problems: [
      /^GYRE_HOSTNAME: must be a host name or IP address, without scheme or port$/,
      /^GYRE_HTTP_PORT: must be a port number \(1-65535\)$/,
      /^GYRE_SLOT_MEMORY: "4" is 4 bytes, below the 6M that Docker allows a container; add a unit such as 4G or 512M$/,
      /^GYRE_DRAIN_TIMEOUT: "30" is not a duration; use a number with a unit such as 30m, 90s or 1h$/,
      /^GYRE_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace$/,
    ],
  },
  'bad-missing-secrets.env': {
    purpose: 'serve',
    problems: [
      /^GYRE_JOIN_SECRET: is required by the services box but is not set$/,
      /^GYRE_ADMIN_PASSWORD: is required by the services box but is not set$/,
      /^GYRE_ENCRYPTION_KEY: is required by the services box but is not set$/,
      /^GYRE_SESSION_SECRET: is required by the services box but is not set$/,
      /^GYRE_DB_PASSWORD: is required for the bundled database \(GYRE_DATABASE_URL is not set\)$/,
    ],
  },
  'bad-weak-secrets.env': {
    purpose: 'serve',
    problems: [
      /^GYRE_DB_PASSWORD: must be at least 16 characters long$/,
      /^GYRE_JOIN_SECRET: must be at least 32 characters long$/,
      /^GYRE_ADMIN_PASSWORD: must be at least 12 characters long$/,
      /^GYRE_ENCRYPTION_KEY: must be 32 random bytes in base64 \(44 characters\)$/,
      /^GYRE_SESSION_SECRET: must be at least 32 characters long$/,
    ],
  },
  'bad-tls-half.env': {
    purpose: 'serve',
    problems: [
      /^GYRE_TLS_KEY_FILE: is required because GYRE_TLS_CERT_FILE is set \(TLS needs both a certificate and its key\)$/,
    ],
  },
  'bad-port-clash.env': {
    purpose: 'serve',
    problems: [
      /^GYRE_ADMIN_PORT: uses port 8080, which GYRE_HTTP_PORT already uses$/,
      /^GYRE_HTTPS_PORT: uses port 8080, which GYRE_HTTP_PORT already uses$/,
    ],
  },
  'bad-agent-no-services-url.env': {
    purpose: 'agent',
    problems: [
      /^GYRE_JOIN_SECRET: is required by a builder but is not set$/,
      /^GYRE_SERVICES_URL: is required by a builder but is not set$/,
    ],
  },
  'bad-agent-aliases.env': {
    purpose: 'agent',
    problems: [
      /^SERVICES_PRIVATE_IP: must be the IP address or host name of the services box, without scheme or port/,
      /^CIRCLE_NUM_CONTAINERS \(alias of GYRE_BUILDER_SLOTS\): must be a whole number of at least 1$/,
      /^CIRCLE_CONTAINER_CPUS \(alias of GYRE_SLOT_CPUS\): must be a number of CPUs such as 2 or 1.5 \(0 means no limit\)$/,
      /^CIRCLE_CONTAINER_MEMORY_LIMIT \(alias of GYRE_SLOT_MEMORY\): "4" is 4 bytes, below the 6M/,
    ],
  },
  'bad-agent-alias-conflict.env': {
    purpose: 'agent',
    problems: [
      /^SERVICES_PRIVATE_IP: conflicts with GYRE_SERVICES_URL, which it is an alias of$/,
      /^CIRCLE_SECRET_PASSPHRASE: conflicts with GYRE_JOIN_SECRET, which it is an alias of$/,
      /^CIRCLE_NUM_CONTAINERS: conflicts with GYRE_BUILDER_SLOTS, which it is an alias of$/,
    ],
  },
};

describe('.env fixtures', () => {
  it('has an expectation for every fixture file, so none is silently untested', () => {
    expect(readdirSync(FIXTURES_DIR).sort()).toEqual([...Object.keys(GOOD), ...Object.keys(BAD)].sort());
  });

  it.each(Object.entries(GOOD).flatMap(([file, purposes]) => purposes.map((purpose) => ({ file, purpose }))))(
    'accepts $file for $purpose without problems or warnings',
    ({ file, purpose }) => {
      const result = checkFixture(file, purpose);
      expect(problemLines(result)).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.settings).toBeDefined();
    },
  );

  it.each(Object.entries(BAD).map(([file, expected]) => ({ file, ...expected })))(
    'reports every problem of $file for $purpose at once',
    ({ file, purpose, problems }) => {
      const result = checkFixture(file, purpose);
      const lines = problemLines(result);
      expect(lines).toHaveLength(problems.length);
      problems.forEach((pattern, i) => expect(lines[i]).toMatch(pattern));
      expect(result.settings).toBeUndefined();
    },
  );

  it.each(Object.keys(BAD))('gives a fix for every problem of %s that names the variable to change', (file) => {
    const result = checkFixture(file, BAD[file]!.purpose);
    for (const problem of result.problems) {
      const variable = problem.input.split(' ')[0]!;
      const named = [
        variable,
        variable.replace(/_FILE$/, ''),
        ...(problem.message.match(/[A-Z][A-Z_]+_[A-Z]+/g) ?? []),
      ];
      expect(problem.hint).toBeDefined();
      expect(named.some((name) => problem.hint!.includes(name) || problem.hint!.includes('gyre init'))).toBe(true);
    }
  });
});
