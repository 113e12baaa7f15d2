import { describe, expect, it } from '@jest/globals';
import { renderSettingsTable, settingAliases } from '../../../src/config/index.js';
import { check, VALID_AGENT } from './settings-helpers.js';

const GiB = 1024 ** 3;
const JOIN = VALID_AGENT.GYRE_JOIN_SECRET;

describe('docker-install aliases', () => {
  it('maps every variable of the old builder install to its Gyre setting', () => {
    // GIVEN a builder configured only with the old variables
    const result = check(
      {
        SERVICES_PRIVATE_IP: '10.0.0.5',
        CIRCLE_SECRET_PASSPHRASE: JOIN,
        CIRCLE_NUM_CONTAINERS: '6',
        CIRCLE_CONTAINER_CPUS: '1.5',
        CIRCLE_CONTAINER_MEMORY_LIMIT: '4G',
      },
      'agent',
    );
    // THEN it loads as if the GYRE_ names were used
    expect(result.problems).toEqual([]);
    expect(result.settings?.secrets.joinSecret).toBe(JOIN);
    expect(result.settings?.builder).toEqual({
      servicesUrl: 'http://10.0.0.5',
      slots: 6,
      slotCpus: 1.5,
      slotMemoryBytes: 4 * GiB,
      drainTimeoutMs: 30 * 60_000,
      maxServicesPerJob: 8,
      egress: { enforce: true, allow: [], deny: [] },
      dockerInBuilds: 'off',
      layerCacheBytes: 20 * GiB,
      ssh: { first: 64535, last: 65535 },
    });
  });

  it('reads SERVICES_PRIVATE_IP as plain HTTP on port 80 of that address, ignoring surrounding blanks', () => {
    expect(
      check({ ...VALID_AGENT, GYRE_SERVICES_URL: '', SERVICES_PRIVATE_IP: ' ci-services.internal ' }, 'agent').settings
        ?.builder.servicesUrl,
    ).toBe('http://ci-services.internal');
  });

  it.each(['http://10.0.0.5', '10.0.0.5:8080', '10.0.0.5/api'])(
    'refuses SERVICES_PRIVATE_IP=%s instead of building a wrong URL from it',
    (value) => {
      const result = check({ GYRE_JOIN_SECRET: JOIN, SERVICES_PRIVATE_IP: value }, 'agent');
      expect(result.problems).toEqual([
        {
          input: 'SERVICES_PRIVATE_IP',
          message:
            'must be the IP address or host name of the services box, without scheme or port (use GYRE_SERVICES_URL for a full URL)',
          hint: 'for example SERVICES_PRIVATE_IP=10.0.0.5',
        },
      ]);
    },
  );

  it('takes CIRCLE_CONTAINER_CPUS=0 to mean no CPU limit', () => {
    expect(check({ ...VALID_AGENT, CIRCLE_CONTAINER_CPUS: '0' }, 'agent').settings?.builder.slotCpus).toBe(0);
  });

  it.each([
    ['4G', 4 * GiB],
    ['512m', 512 * 1024 ** 2],
    ['2GiB', 2 * GiB],
    ['1.5g', 1.5 * GiB],
  ])('converts CIRCLE_CONTAINER_MEMORY_LIMIT=%s to %d bytes', (value, bytes) => {
    expect(
      check({ ...VALID_AGENT, CIRCLE_CONTAINER_MEMORY_LIMIT: value }, 'agent').settings?.builder.slotMemoryBytes,
    ).toBe(bytes);
  });

  it('reports a bad alias value under the alias the user wrote, with an example of that alias', () => {
    expect(check({ ...VALID_AGENT, CIRCLE_NUM_CONTAINERS: 'many' }, 'agent').problems).toEqual([
      {
        input: 'CIRCLE_NUM_CONTAINERS (alias of GYRE_BUILDER_SLOTS)',
        message: 'must be a whole number of at least 1',
        hint: 'for example CIRCLE_NUM_CONTAINERS=4',
      },
    ]);
  });

  it('tells a builder to copy a too-short CIRCLE_SECRET_PASSPHRASE from the services box', () => {
    expect(
      check({ GYRE_SERVICES_URL: 'http://10.0.0.5', CIRCLE_SECRET_PASSPHRASE: 'short' }, 'agent').problems,
    ).toEqual([
      {
        input: 'CIRCLE_SECRET_PASSPHRASE (alias of GYRE_JOIN_SECRET)',
        message: 'must be at least 32 characters long',
        hint: "copy GYRE_JOIN_SECRET from the services box's .env into CIRCLE_SECRET_PASSPHRASE; on the services box, `gyre init` generates one",
      },
    ]);
  });

  it('reports an alias that disagrees with the GYRE_ name, naming both and how to resolve it', () => {
    expect(check({ ...VALID_AGENT, GYRE_SLOT_CPUS: '2', CIRCLE_CONTAINER_CPUS: '4' }, 'agent').problems).toEqual([
      {
        input: 'CIRCLE_CONTAINER_CPUS',
        message: 'conflicts with GYRE_SLOT_CPUS, which it is an alias of',
        hint: 'keep only GYRE_SLOT_CPUS, or give both the same value',
      },
    ]);
  });

  it('reports a conflict with a secret read from a file under the file variable', () => {
    const result = check(
      {
        GYRE_SERVICES_URL: 'http://10.0.0.5',
        GYRE_JOIN_SECRET_FILE: '/run/join',
        CIRCLE_SECRET_PASSPHRASE: `${JOIN}-other`,
      },
      'agent',
      { '/run/join': JOIN },
    );
    expect(result.problems.map((p) => `${p.input}: ${p.message}`)).toEqual([
      'CIRCLE_SECRET_PASSPHRASE: conflicts with GYRE_JOIN_SECRET_FILE (/run/join), which it is an alias of',
    ]);
  });

  it.each<Record<string, string>>([
    { GYRE_SLOT_MEMORY: '4G', CIRCLE_CONTAINER_MEMORY_LIMIT: '4096M' },
    { GYRE_BUILDER_SLOTS: '4', CIRCLE_NUM_CONTAINERS: '04' },
    { GYRE_SERVICES_URL: 'http://10.0.0.5', SERVICES_PRIVATE_IP: '10.0.0.5' },
  ])('accepts an alias that gives the same value in another spelling: %o', (values) => {
    const result = check({ GYRE_JOIN_SECRET: JOIN, GYRE_SERVICES_URL: 'http://10.0.0.5', ...values }, 'agent');
    expect(result.problems).toEqual([]);
  });

  it('does not report a missing setting when its alias is set but invalid', () => {
    const inputs = check({ GYRE_JOIN_SECRET: JOIN, SERVICES_PRIVATE_IP: 'http://x' }, 'agent').problems.map(
      (p) => p.input,
    );
    expect(inputs).toEqual(['SERVICES_PRIVATE_IP']);
  });

  it('lists every alias next to its setting in the settings table', () => {
    const table = renderSettingsTable();
    for (const { alias, target } of settingAliases)
      expect(table).toMatch(new RegExp(`\`${target}\`<br>alias \`${alias}\``));
  });
});
