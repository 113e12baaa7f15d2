import { describe, expect, it } from '@jest/globals';
import type { PushEvent } from '@octokit/webhooks-types';
import { interpretDelivery, ZERO_SHA } from '../../../../../src/services/core/webhooks/index.js';
import { examplesOf, pushExample } from '../../../../support/github-examples.js';

const repository = {
  fullName: 'Codertocat/Hello-World',
  cloneUrl: 'https://github.com/Codertocat/Hello-World.git',
  htmlUrl: 'https://github.com/Codertocat/Hello-World',
  owner: 'Codertocat',
  name: 'Hello-World',
};
const locator = { fullName: repository.fullName, cloneUrl: repository.cloneUrl };
const author = { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com', username: 'Codertocat' };

/** The real branch-creation payload turned into an ordinary update of that branch. */
function branchUpdate(message: string): PushEvent {
  const payload = pushExample('refs/heads/master', false);
  payload.before = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';
  payload.created = false;
  if (payload.head_commit) payload.head_commit.message = message;
  return payload;
}

describe('interpretDelivery("push")', () => {
  it.each(
    examplesOf('push').map((payload) => ({
      payload,
      ref: (payload as PushEvent).ref,
      deleted: (payload as PushEvent).deleted,
    })),
  )(
    'turns the real example for $ref (deleted: $deleted) into a trigger, or ignores a deletion',
    ({ payload, deleted }) => {
      const outcome = interpretDelivery('push', payload);
      expect(outcome.kind).toBe(deleted ? 'ignored' : 'trigger');
      expect(outcome.repository).toEqual(locator);
    },
  );

  it('triggers on a new branch with everything a pipeline needs', () => {
    expect(interpretDelivery('push', pushExample('refs/heads/master', false))).toEqual({
      kind: 'trigger',
      repository: locator,
      trigger: {
        source: 'push',
        ref: 'refs/heads/master',
        branch: 'master',
        sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        before: ZERO_SHA,
        repository,
        sender: 'Codertocat',
        compareUrl: 'https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        headCommit: { message: 'Initial commit', author },
      },
    });
  });

  it('triggers on an update of a branch, with the previous commit', () => {
    const outcome = interpretDelivery('push', branchUpdate('Fix the build'));
    expect(outcome).toMatchObject({
      kind: 'trigger',
      trigger: {
        branch: 'master',
        before: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
        headCommit: { message: 'Fix the build' },
      },
    });
  });

  it('triggers on a new tag, naming the tag and no branch', () => {
    const outcome = interpretDelivery('push', pushExample('refs/tags/simple-tag', false));
    expect(outcome).toMatchObject({
      kind: 'trigger',
      trigger: { ref: 'refs/tags/simple-tag', tag: 'simple-tag', sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246' },
    });
    expect(outcome.kind === 'trigger' && outcome.trigger).not.toHaveProperty('branch');
  });

  it('keeps slashes in branch and tag names', () => {
    const payload = branchUpdate('x');
    payload.ref = 'refs/heads/feature/login/oauth';
    expect(interpretDelivery('push', payload)).toMatchObject({ trigger: { branch: 'feature/login/oauth' } });
    payload.ref = 'refs/tags/release/v1.2.3';
    expect(interpretDelivery('push', payload)).toMatchObject({ trigger: { tag: 'release/v1.2.3' } });
  });

  it('ignores the deletion of a tag and says so', () => {
    expect(interpretDelivery('push', pushExample('refs/tags/simple-tag', true))).toEqual({
      kind: 'ignored',
      reason: 'tag simple-tag was deleted; deletions do not start pipelines',
      repository: locator,
    });
  });

  it('ignores the deletion of a branch, flagged by deleted or by an all-zero after', () => {
    const flagged = pushExample('refs/tags/simple-tag', true);
    flagged.ref = 'refs/heads/feature';
    expect(interpretDelivery('push', flagged)).toMatchObject({
      kind: 'ignored',
      reason: 'branch feature was deleted; deletions do not start pipelines',
    });
    const zeroOnly: Record<string, unknown> = { ...flagged };
    delete zeroOnly.deleted;
    expect(interpretDelivery('push', zeroOnly)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/branch feature was deleted/),
    });
  });

  it('triggers without a head commit when GitHub sends none', () => {
    const payload = branchUpdate('x');
    payload.head_commit = null;
    const outcome = interpretDelivery('push', payload);
    expect(outcome.kind).toBe('trigger');
    expect(outcome.kind === 'trigger' && outcome.trigger).not.toHaveProperty('headCommit');
  });

  it('reads the owner from the full name when the owner has no login', () => {
    const payload: Record<string, unknown> = { ...branchUpdate('x') };
    payload.repository = { ...(payload.repository as object), owner: { name: null } };
    expect(interpretDelivery('push', payload)).toMatchObject({ trigger: { repository: { owner: 'Codertocat' } } });
  });
});

describe('skip markers in the head commit message', () => {
  it.each([
    ['[skip ci] Update docs', '[skip ci]'],
    ['[ci skip] Update docs', '[ci skip]'],
    ['Update docs [SKIP CI]', '[SKIP CI]'],
    ['Update docs [Ci Skip]', '[Ci Skip]'],
    ['Update docs\n\nNothing to build here. [skip ci]', '[skip ci]'],
    ['Merge branch main[ci skip]into feature', '[ci skip]'],
  ])('skips %j', (message, marker) => {
    const outcome = interpretDelivery('push', branchUpdate(message));
    expect(outcome).toMatchObject({
      kind: 'skipped',
      reason: `the head commit 6113728f27ae of branch master asks to skip CI with ${marker}`,
      trigger: { sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', headCommit: { message } },
      repository: locator,
    });
  });

  it.each([
    'skip ci',
    'ci skip',
    '[skip-ci]',
    '[skip  ci]',
    '[ skip ci ]',
    '(skip ci)',
    '[skip ci',
    '[no ci]',
    '[skipci]',
  ])('builds %j, which is not a marker CircleCI knows', (message) => {
    expect(interpretDelivery('push', branchUpdate(message)).kind).toBe('trigger');
  });

  it('skips tags too', () => {
    const payload = pushExample('refs/tags/simple-tag', false);
    if (payload.head_commit) payload.head_commit.message = 'v1 [ci skip]';
    expect(interpretDelivery('push', payload)).toMatchObject({
      kind: 'skipped',
      reason: expect.stringMatching(/of tag simple-tag asks to skip CI/),
    });
  });

  it('does not skip a deletion: it is ignored whatever the message', () => {
    const payload = pushExample('refs/tags/simple-tag', true);
    expect(
      interpretDelivery('push', { ...payload, head_commit: { ...branchUpdate('[skip ci]').head_commit } }).kind,
    ).toBe('ignored');
  });
});
