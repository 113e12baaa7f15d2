import { describe, expect, it } from '@jest/globals';
import { builderNameOf } from '../../../src/protocol/index.js';

describe('builderNameOf', () => {
  it('turns a Docker host name into a valid builder name', () => {
    expect(builderNameOf('Build-Host-7.corp.example.com')).toBe('build-host-7');
    expect(builderNameOf('ip_10_0_0_5')).toBe('ip-10-0-0-5');
    expect(builderNameOf('x'.repeat(60))).toHaveLength(40);
    expect(builderNameOf('...')).toBe('builder');
  });
});
