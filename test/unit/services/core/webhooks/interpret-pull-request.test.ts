import { describe, expect, it } from '@jest/globals';
import type { PullRequestEvent } from '@octokit/webhooks-types';
import { interpretDelivery } from '../../../../../src/services/core/webhooks/index.js';
import { examplesOf, pullRequestExample } from '../../../../support/github-examples.js';

const locator = { fullName: 'Codertocat/Hello-World', cloneUrl: 'https://github.com/Codertocat/Hello-World.git' };
const triggering = new Set(['opened', 'synchronize', 'reopened']);

/** The real opened payload, with the head moved to a fork (or to a deleted repository). */
function fromFork(headRepo: { full_name: string; clone_url: string } | null): PullRequestEvent {
  const payload = pullRequestExample('opened');
  const head = payload.pull_request.head as unknown as Record<string, unknown>;
  head.repo = headRepo === null ? null : { ...(head.repo as object), ...headRepo };
  return payload;
}

describe('interpretDelivery("pull_request")', () => {
  const examples = (examplesOf('pull_request') as PullRequestEvent[]).map((payload) => ({
    payload,
    action: payload.action,
  }));

  it.each(examples)('turns the real "$action" example into a trigger only for new code', ({ payload, action }) => {
    const outcome = interpretDelivery('pull_request', payload);
    expect(outcome.kind).toBe(triggering.has(action) ? 'trigger' : 'ignored');
    expect(outcome.repository).toEqual(locator);
  });

  it('triggers on an opened pull request with its head, number and base branch', () => {
    expect(interpretDelivery('pull_request', pullRequestExample('opened'))).toEqual({
      kind: 'trigger',
      repository: locator,
      trigger: {
        source: 'pull_request',
        ref: 'refs/pull/2/head',
        branch: 'changes',
        sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        repository: {
          ...locator,
          htmlUrl: 'https://github.com/Codertocat/Hello-World',
          owner: 'Codertocat',
          name: 'Hello-World',
        },
        sender: 'Codertocat',
        pullRequest: {
          number: 2,
          action: 'opened',
          title: 'Update the README with new information.',
          htmlUrl: 'https://github.com/Codertocat/Hello-World/pull/2',
          baseBranch: 'master',
          baseSha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
          fromFork: false,
          headRepository: locator,
        },
      },
    });
  });

  it.each(['synchronize', 'reopened'])('triggers on %s with the action recorded', (action) => {
    expect(interpretDelivery('pull_request', pullRequestExample(action))).toMatchObject({
      kind: 'trigger',
      trigger: { pullRequest: { action } },
    });
  });

  it.each(['closed', 'labeled', 'assigned', 'review_requested', 'ready_for_review', 'converted_to_draft', 'edited'])(
    'ignores %s and says which actions build',
    (action) => {
      const payload = { ...pullRequestExample('opened'), action };
      expect(interpretDelivery('pull_request', payload)).toEqual({
        kind: 'ignored',
        reason: `pull_request action "${action}" does not start a pipeline; Gyre builds on opened, synchronize, reopened`,
        repository: locator,
      });
    },
  );

  it('flags a pull request from a fork and keeps where its head lives', () => {
    const outcome = interpretDelivery(
      'pull_request',
      fromFork({ full_name: 'contributor/Hello-World', clone_url: 'https://github.com/contributor/Hello-World.git' }),
    );
    expect(outcome).toMatchObject({
      kind: 'trigger',
      trigger: {
        ref: 'refs/pull/2/head',
        repository: { fullName: 'Codertocat/Hello-World' },
        pullRequest: {
          fromFork: true,
          headRepository: {
            fullName: 'contributor/Hello-World',
            cloneUrl: 'https://github.com/contributor/Hello-World.git',
          },
        },
      },
    });
  });

  it('treats a pull request whose head repository was deleted as a fork', () => {
    const outcome = interpretDelivery('pull_request', fromFork(null));
    expect(outcome).toMatchObject({ kind: 'trigger', trigger: { pullRequest: { fromFork: true } } });
    expect(
      outcome.kind === 'trigger' && outcome.trigger.source === 'pull_request' && outcome.trigger.pullRequest,
    ).not.toHaveProperty('headRepository');
  });

  it('does not call a branch of the same repository a fork when only the letter case differs', () => {
    const outcome = interpretDelivery(
      'pull_request',
      fromFork({ full_name: 'codertocat/hello-world', clone_url: 'https://github.com/codertocat/hello-world.git' }),
    );
    expect(outcome).toMatchObject({ trigger: { pullRequest: { fromFork: false } } });
  });

  it('reports a bad head without judging ignored actions', () => {
    const broken = pullRequestExample('synchronize');
    (broken.pull_request.head as unknown as Record<string, unknown>).sha = 'HEAD';
    expect(interpretDelivery('pull_request', broken)).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'pull_request.head.sha', message: 'expected a 40-character lowercase hexadecimal commit SHA' },
      ],
      repository: locator,
    });
    expect(interpretDelivery('pull_request', { ...broken, action: 'closed' }).kind).toBe('ignored');
  });
});
