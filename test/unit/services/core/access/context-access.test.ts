import { describe, expect, it } from '@jest/globals';
import {
  actorOfPipeline,
  contextRefusal,
  type ContextFacts,
  type JobCircumstances,
} from '../../../../../src/services/core/access/context-access.js';
import { withholdsSecrets } from '../../../../../src/services/core/access/fork-secrets.js';

const usable = (name: string): ContextFacts => ({
  name,
  exists: true,
  projectAllowed: true,
  accountAllowed: true,
  groups: null,
});
const job: JobCircumstances = {
  projectName: 'acme/web',
  actor: { kind: 'account', userId: 7, name: 'mia' },
  secretsWithheld: false,
};

describe('contextRefusal', () => {
  it('allows a job that names no context, or only usable ones', () => {
    expect(contextRefusal([], [], { ...job, secretsWithheld: true })).toBeUndefined();
    expect(contextRefusal(['a', 'b'], [usable('a'), usable('b')], job)).toBeUndefined();
  });

  it('names the first context that may not be used, and why', () => {
    expect(contextRefusal(['a', 'gone'], [usable('a')], job)).toMatch(/^context "gone" does not exist/);
    expect(contextRefusal(['a'], [{ ...usable('a'), projectAllowed: false }], job)).toMatch(
      /^project acme\/web may not use context "a"/,
    );
    expect(contextRefusal(['a'], [{ ...usable('a'), accountAllowed: false, groups: ['ops', 'release'] }], job)).toBe(
      'context "a" is restricted to the groups "ops", "release", and mia, who started the pipeline, is in none of them',
    );
  });

  it('refuses every context to a build kept from secrets, whatever the restrictions', () => {
    expect(contextRefusal(['a'], [usable('a')], { ...job, secretsWithheld: true })).toMatch(
      /^builds of pull requests from forks get no contexts, and this job uses "a"/,
    );
  });

  it('says when no account started the pipeline', () => {
    const refusal = contextRefusal(['a'], [{ ...usable('a'), accountAllowed: false, groups: [] }], {
      ...job,
      actor: { kind: 'none' },
    });
    expect(refusal).toBe(
      'context "a" is restricted to the groups (none), and the pipeline was started by no account, so it is in none of them',
    );
  });
});

describe('actorOfPipeline', () => {
  it('prefers the account that triggered or reran it, then the GitHub sender', () => {
    expect(actorOfPipeline({ requestedBy: 'mia', requestedByUserId: 7, sender: 'octocat' })).toEqual({
      kind: 'account',
      userId: 7,
      name: 'mia',
    });
    expect(actorOfPipeline({ sender: 'octocat' })).toEqual({ kind: 'github', login: 'octocat' });
    expect(actorOfPipeline({ requestedBy: null })).toEqual({ kind: 'none' });
  });
});

describe('withholdsSecrets', () => {
  it("keeps secrets from a fork's pull request, and from a pull request head of unknown origin", () => {
    expect(withholdsSecrets({ ref: 'refs/pull/3/head', pullRequest: { fromFork: true } }, false)).toBe(true);
    expect(withholdsSecrets({ ref: 'refs/pull/3/head', pullRequest: undefined }, false)).toBe(true);
    expect(withholdsSecrets({ ref: 'refs/pull/3/head', pullRequest: { fromFork: false } }, false)).toBe(false);
    expect(withholdsSecrets({ ref: 'refs/heads/main', pullRequest: null }, false)).toBe(false);
  });

  it('passes them when the project says so', () => {
    expect(withholdsSecrets({ ref: 'refs/pull/3/head', pullRequest: { fromFork: true } }, true)).toBe(false);
  });
});
