import { describe, expect, it } from '@jest/globals';
import { interpretDelivery } from '../../../../../src/services/core/webhooks/index.js';
import { exampleEventNames, examplesOf } from '../../../../support/github-examples.js';

describe('interpretDelivery("ping")', () => {
  it.each(examplesOf('ping').map((payload, index) => ({ payload, index })))(
    'answers the real ping example #$index with its zen and hook id',
    ({ payload }) => {
      expect(interpretDelivery('ping', payload)).toMatchObject({
        kind: 'ping',
        zen: 'Anything added dilutes everything else.',
        hookId: 109948940,
      });
    },
  );

  it('names the repository of a repository webhook, and none for an organisation webhook', () => {
    const [repositoryPing, , , organisationPing] = examplesOf('ping');
    expect(interpretDelivery('ping', repositoryPing)).toEqual({
      kind: 'ping',
      zen: 'Anything added dilutes everything else.',
      hookId: 109948940,
      repository: { fullName: 'Octocoders/Hello-World', cloneUrl: 'https://github.com/Octocoders/Hello-World.git' },
    });
    expect(interpretDelivery('ping', organisationPing)).not.toHaveProperty('repository');
  });
});

describe('events Gyre does not use', () => {
  const unused = exampleEventNames()
    .filter((name) => !['push', 'pull_request', 'ping'].includes(name))
    .map((event) => ({ event, payload: examplesOf(event)[0] }));

  it.each(unused)('ignores the real $event example and says why', ({ event, payload }) => {
    expect(interpretDelivery(event, payload)).toMatchObject({
      kind: 'ignored',
      reason: `event "${event}" is not used by Gyre`,
    });
  });

  it('still names the repository, so the delivery can be recorded against its project', () => {
    expect(interpretDelivery('issues', examplesOf('issues')[0])).toMatchObject({
      repository: { fullName: 'Codertocat/Hello-World' },
    });
  });

  it('ignores an unknown event whatever its body holds', () => {
    expect(interpretDelivery('made_up', 'not even an object')).toEqual({
      kind: 'ignored',
      reason: 'event "made_up" is not used by Gyre',
    });
  });
});
