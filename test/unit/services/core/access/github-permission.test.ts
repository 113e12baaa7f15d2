import { describe, expect, it } from '@jest/globals';
import { higherRole, roleOfPermissions } from '../../../../../src/services/core/access/github-permission.js';

describe('roleOfPermissions', () => {
  it('maps GitHub permissions as CircleCI does', () => {
    expect(roleOfPermissions({ admin: true, push: true, pull: true })).toBe('maintainer');
    expect(roleOfPermissions({ maintain: true, push: true, pull: true })).toBe('member');
    expect(roleOfPermissions({ push: true, pull: true })).toBe('member');
    expect(roleOfPermissions({ triage: true, pull: true })).toBe('viewer');
    expect(roleOfPermissions({ pull: true })).toBe('viewer');
  });

  it('gives nothing without a permission', () => {
    expect(roleOfPermissions({ admin: false, push: false, pull: false })).toBeUndefined();
    expect(roleOfPermissions(undefined)).toBeUndefined();
  });
});

describe('higherRole', () => {
  it('keeps the higher of two roles, either possibly absent', () => {
    expect(higherRole('viewer', 'maintainer')).toBe('maintainer');
    expect(higherRole('member', 'viewer')).toBe('member');
    expect(higherRole(undefined, 'viewer')).toBe('viewer');
    expect(higherRole('member', undefined)).toBe('member');
    expect(higherRole(undefined, undefined)).toBeUndefined();
  });
});
