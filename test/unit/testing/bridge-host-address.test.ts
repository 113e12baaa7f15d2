import { describe, expect, it } from '@jest/globals';
import { defaultGatewayOf } from '../../../src/testing/bridge-host-address.js';

// GIVEN /proc/net/route as a container on a fresh engine's default bridge prints it (tabs, and
// trailing spaces that pad each line to 128 characters).
const pad = (line: string) => line.padEnd(127, ' ');
const FRESH_BRIDGE = [
  pad('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'),
  pad('eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0'),
  pad('eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0'),
  '',
].join('\n');

describe('defaultGatewayOf', () => {
  it("reads the default route's gateway in host byte order", () => {
    expect(defaultGatewayOf(FRESH_BRIDGE)).toBe('172.17.0.1');
  });

  it('finds the default route wherever it stands in the table', () => {
    const [header, defaultRoute, subnetRoute] = FRESH_BRIDGE.split('\n');
    expect(defaultGatewayOf([header, subnetRoute, defaultRoute!.replace('010011AC', '01011FAC')].join('\n'))).toBe(
      '172.31.1.1',
    );
  });

  it('is undefined for a table without a default route or with an empty gateway', () => {
    const [header, , subnetRoute] = FRESH_BRIDGE.split('\n');
    expect(defaultGatewayOf([header, subnetRoute].join('\n'))).toBeUndefined();
    expect(defaultGatewayOf(FRESH_BRIDGE.replace('010011AC', '00000000'))).toBeUndefined();
    expect(defaultGatewayOf('')).toBeUndefined();
  });
});
