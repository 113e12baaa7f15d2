import { describe, expect, it } from '@jest/globals';
import { formatEgressList, formatMemorySize, parseMemorySize } from '../../../src/config/index.js';
import { rawSettingsSchema } from '../../../src/config/schema.js';
import { egressAddressList, hostList } from '../../../src/config/values.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseMemorySize', () => {
  it.each([
    ['4G', 4 * GiB],
    ['4g', 4 * GiB],
    ['4GB', 4 * GiB],
    ['4GiB', 4 * GiB],
    ['4 G', 4 * GiB],
    [' 512M ', 512 * MiB],
    ['1.5g', 1.5 * GiB],
    ['64k', 64 * KiB],
    ['1T', 1024 * GiB],
    ['1073741824', GiB],
    ['100b', 100],
  ])('reads %j as %d bytes, the way Docker does', (text, bytes) => {
    expect(parseMemorySize(text)).toBe(bytes);
  });

  it.each(['', 'G', '4X', '4 gigs', '-4G', '4GG', '4bb', '4ib', '4.G', '1e9'])('rejects %j', (text) => {
    expect(parseMemorySize(text)).toBeUndefined();
  });
});

describe('formatMemorySize', () => {
  it.each([4 * GiB, 1536 * MiB, 64 * KiB, 2 * 1024 * GiB, 1000])(
    'writes %d bytes so that parseMemorySize reads them back',
    (bytes) => {
      expect(parseMemorySize(formatMemorySize(bytes))).toBe(bytes);
    },
  );

  it('uses the largest exact unit', () => {
    expect([4 * GiB, 1536 * MiB, 1000].map(formatMemorySize)).toEqual(['4G', '1536M', '1000']);
  });
});

describe('GYRE_TRUSTED_PROXIES', () => {
  const parse = (text: string) => rawSettingsSchema.shape.GYRE_TRUSTED_PROXIES.safeParse(text);

  it('reads addresses and CIDR blocks, IPv4 and IPv6, separated by commas', () => {
    expect(parse(' 10.0.0.2, 10.1.0.0/16 ,fd00::/8,::1').data).toEqual(['10.0.0.2', '10.1.0.0/16', 'fd00::/8', '::1']);
  });

  it.each(['proxy.internal', '10.0.0.0/33', '10.0.0.1/8/1', ',', '10.0.0.300'])(
    'refuses %j, saying what it wants',
    (text) => {
      const result = parse(text);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/10\.0\.0\.2 or 10\.0\.0\.0\/8/);
    },
  );
});

describe('GYRE_GIT_ALLOWED_HOSTS', () => {
  it('reads host names, addresses and CIDR ranges, trimmed and lowercased', () => {
    expect(hostList.parse(' Git.Internal, 10.0.0.0/8,,::1, fd00::/8 ')).toEqual([
      'git.internal',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ]);
  });

  it.each(['http://git.internal', 'git.internal:22', '10.0.0.0/33', '10.0.0.256', 'fd00::/129', 'a/b/c', '-x'])(
    'refuses %j, naming what it expects',
    (text) => {
      expect(hostList.safeParse(text).error?.issues[0]?.message).toMatch(/host names, IP addresses or CIDR ranges/);
    },
  );
});

describe('egressAddressList (GYRE_EGRESS_ALLOW)', () => {
  it('reads addresses and blocks, each on every port, one port or a range', () => {
    expect(egressAddressList.parse(' 10.0.5.0/24, 10.0.5.7:5432 ,10.0.6.0/24:8000-8999,')).toEqual([
      { block: '10.0.5.0/24' },
      { block: '10.0.5.7', ports: { first: 5432, last: 5432 } },
      { block: '10.0.6.0/24', ports: { first: 8000, last: 8999 } },
    ]);
    expect(formatEgressList(egressAddressList.parse('10.0.5.0/24,10.0.5.7:5432,10.0.6.0/24:8000-8999'))).toBe(
      '10.0.5.0/24,10.0.5.7:5432,10.0.6.0/24:8000-8999',
    );
  });

  it('names every entry it cannot read at once, and says what an entry looks like', () => {
    const result = egressAddressList.safeParse(
      '10.0.5.0/24,git.internal,10.0.0.1:0,10.0.0.1:9-8,fd00::/8,10.0.0.1:70000',
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      '"git.internal", "10.0.0.1:0", "10.0.0.1:9-8", "fd00::/8", "10.0.0.1:70000" are not an IPv4 address or block with an optional port or port range; write entries such as 10.0.5.0/24, 10.0.5.7:5432 or 10.0.6.0/24:8000-8999, separated by commas',
    );
  });
});

describe('GYRE_LAYER_CACHE_SIZE', () => {
  const parse = (value: string) => rawSettingsSchema.shape.GYRE_LAYER_CACHE_SIZE.safeParse(value);

  // Unset, it is 20 GiB (aliases.test.ts sees the default applied).
  it('reads a size, and off as 0', () => {
    expect(parse('5G').data).toBe(5 * 1024 ** 3);
    expect(parse('off').data).toBe(0);
  });

  it('refuses what is neither a size nor off, saying both', () => {
    expect(parse('lots').error?.issues[0]?.message).toBe(
      '"lots" is not a file size of at least 1K, nor off; use a number with a unit such as 10G, or off',
    );
    expect(parse('0').success).toBe(false);
  });
});

describe('GYRE_SSH_PORTS', () => {
  const parse = (value: string) => rawSettingsSchema.shape.GYRE_SSH_PORTS.safeParse(value);

  it('reads a range, one port as a range of one, and off', () => {
    expect(parse('64535-65535').data).toEqual({ first: 64535, last: 65535 });
    expect(parse('2222').data).toEqual({ first: 2222, last: 2222 });
    expect(parse('off').data).toBe('off');
  });

  it.each(['65535-64535', '0-10', '64535-65536', '64535:65535', 'ssh', ''])(
    'refuses %j, saying what a range is',
    (value) => {
      expect(parse(value).error?.issues[0]?.message).toBe(
        `"${value}" is not a port range; write two ports between 1 and 65535, the lower first, such as 64535-65535 (or one port, or off)`,
      );
    },
  );
});
