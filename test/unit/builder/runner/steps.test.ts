import { describe, expect, it } from '@jest/globals';
import { builderObjectLabels, jobLabels } from '../../../../src/shared/labels.js';
import { serviceAlias, shouldRunStep } from '../../../../src/builder/runner/steps.js';

describe('shouldRunStep', () => {
  it('runs on_success steps only while nothing failed', () => {
    expect(shouldRunStep('on_success', false)).toBe(true);
    expect(shouldRunStep('on_success', true)).toBe(false);
  });

  it('runs on_fail steps only after a failure', () => {
    expect(shouldRunStep('on_fail', false)).toBe(false);
    expect(shouldRunStep('on_fail', true)).toBe(true);
  });

  it('always runs always steps', () => {
    expect(shouldRunStep('always', false)).toBe(true);
    expect(shouldRunStep('always', true)).toBe(true);
  });
});

describe('serviceAlias', () => {
  it("uses the service's name, else the image's short name", () => {
    expect(serviceAlias('postgres:15', 'db')).toBe('db');
    expect(serviceAlias('gyre/postgres:15')).toBe('postgres');
    expect(serviceAlias('registry.local:5000/team/redis:7')).toBe('redis');
    expect(serviceAlias('redis@sha256:abc')).toBe('redis');
  });
});

describe('labels', () => {
  it('labels every object with the job, attempt, builder and the managed marker', () => {
    expect(jobLabels(7, 2, 'b1')).toEqual({
      'io.gyre.job': '7',
      'io.gyre.attempt': '2',
      'io.gyre.builder': 'b1',
      'io.gyre.managed': 'true',
    });
    // Cleanup selects by the managed marker and the builder, so a user's own containers never match.
    expect(builderObjectLabels('b1', 7)).toEqual({
      'io.gyre.managed': 'true',
      'io.gyre.builder': 'b1',
      'io.gyre.job': '7',
    });
    expect(builderObjectLabels('b1')).toEqual({ 'io.gyre.managed': 'true', 'io.gyre.builder': 'b1' });
  });
});
