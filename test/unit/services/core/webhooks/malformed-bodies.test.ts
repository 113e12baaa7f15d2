import { describe, expect, it } from '@jest/globals';
import { interpretDelivery } from '../../../../../src/services/core/webhooks/index.js';
import { pullRequestExample, pushExample } from '../../../../support/github-examples.js';

type Mutable = Record<string, unknown>;

/** A real payload of `event` with `change` applied to a deep copy. */
function broken(event: 'push' | 'pull_request', change: (body: Mutable) => void): Mutable {
  const body = (event === 'push'
    ? pushExample('refs/heads/master', false)
    : pullRequestExample('opened')) as unknown as Mutable;
  change(body);
  return body;
}

const at = (body: Mutable, path: string): Mutable =>
  path.split('.').reduce<Mutable>((node, key) => node[key] as Mutable, body);

describe('malformed bodies', () => {
  it.each([
    {
      name: 'a string body',
      event: 'push',
      body: 'refs/heads/main',
      problems: [{ path: '(body)', message: 'Invalid input: expected object, received string' }],
    },
    {
      name: 'a null body',
      event: 'push',
      body: null,
      problems: [{ path: '(body)', message: 'Invalid input: expected object, received null' }],
    },
    {
      name: 'an array body',
      event: 'pull_request',
      body: [],
      problems: [{ path: '(body)', message: 'Invalid input: expected object, received array' }],
    },
    {
      name: 'a number body',
      event: 'ping',
      body: 42,
      problems: [{ path: '(body)', message: 'Invalid input: expected object, received number' }],
    },
    {
      name: 'an empty ping',
      event: 'ping',
      body: {},
      problems: [
        { path: 'zen', message: 'missing: expected string' },
        { path: 'hook_id', message: 'missing: expected number' },
      ],
    },
    {
      name: 'a push without after',
      event: 'push',
      body: broken('push', (b) => delete b.after),
      problems: [{ path: 'after', message: 'missing: expected string' }],
    },
    {
      name: 'a short after',
      event: 'push',
      body: broken('push', (b) => (b.after = '6113728')),
      problems: [{ path: 'after', message: 'expected a 40-character lowercase hexadecimal commit SHA' }],
    },
    {
      name: 'a numeric before',
      event: 'push',
      body: broken('push', (b) => (b.before = 0)),
      problems: [{ path: 'before', message: 'Invalid input: expected string, received number' }],
    },
    {
      name: 'a short ref',
      event: 'push',
      body: broken('push', (b) => (b.ref = 'master')),
      problems: [{ path: 'ref', message: 'expected a ref starting with refs/heads/ or refs/tags/' }],
    },
    {
      name: 'a notes ref',
      event: 'push',
      body: broken('push', (b) => (b.ref = 'refs/notes/commits')),
      problems: [{ path: 'ref', message: 'expected a ref starting with refs/heads/ or refs/tags/' }],
    },
    {
      name: 'an empty branch name',
      event: 'push',
      body: broken('push', (b) => (b.ref = 'refs/heads/')),
      problems: [{ path: 'ref', message: 'expected a ref starting with refs/heads/ or refs/tags/' }],
    },
    {
      name: 'a string deleted flag',
      event: 'push',
      body: broken('push', (b) => (b.deleted = 'false')),
      problems: [{ path: 'deleted', message: 'Invalid input: expected boolean, received string' }],
    },
    {
      name: 'a head commit without message',
      event: 'push',
      body: broken('push', (b) => delete at(b, 'head_commit').message),
      problems: [{ path: 'head_commit.message', message: 'missing: expected string' }],
    },
    {
      name: 'a clone URL using ext::',
      event: 'push',
      body: broken('push', (b) => (at(b, 'repository').clone_url = 'ext::sh -c touch% /tmp/pwned')),
      problems: [
        {
          path: 'repository.clone_url',
          message: 'expected an http(s) clone URL like https://github.com/owner/name.git',
        },
      ],
    },
    {
      name: 'a file:// clone URL',
      event: 'push',
      body: broken('push', (b) => (at(b, 'repository').clone_url = 'file:///etc')),
      problems: [
        {
          path: 'repository.clone_url',
          message: 'expected an http(s) clone URL like https://github.com/owner/name.git',
        },
      ],
    },
    {
      name: 'a clone URL without slashes',
      event: 'push',
      body: broken('push', (b) => (at(b, 'repository').clone_url = 'https:evil.example/x.git')),
      problems: [
        {
          path: 'repository.clone_url',
          message: 'expected an http(s) clone URL like https://github.com/owner/name.git',
        },
      ],
    },
    {
      name: 'a full name without owner',
      event: 'push',
      body: broken('push', (b) => (at(b, 'repository').full_name = 'Hello-World')),
      problems: [{ path: 'repository.full_name', message: 'expected a repository full name like owner/name' }],
    },
    {
      name: 'no sender',
      event: 'push',
      body: broken('push', (b) => delete b.sender),
      problems: [{ path: 'sender', message: 'missing: expected object' }],
    },
    {
      name: 'a pull request without action',
      event: 'pull_request',
      body: broken('pull_request', (b) => delete b.action),
      problems: [{ path: 'action', message: 'missing: expected string' }],
    },
    {
      name: 'a pull request number as text',
      event: 'pull_request',
      body: broken('pull_request', (b) => (b.number = '2')),
      problems: [{ path: 'number', message: 'Invalid input: expected number, received string' }],
    },
    {
      name: 'a pull request without base',
      event: 'pull_request',
      body: broken('pull_request', (b) => delete at(b, 'pull_request').base),
      problems: [{ path: 'pull_request.base', message: 'missing: expected object' }],
    },
    {
      name: 'an empty head branch',
      event: 'pull_request',
      body: broken('pull_request', (b) => (at(b, 'pull_request.head').ref = '')),
      problems: [{ path: 'pull_request.head.ref', message: 'expected a non-empty string' }],
    },
  ])('calls $name invalid, with the path of each problem', ({ event, body, problems }) => {
    expect(interpretDelivery(event, body)).toMatchObject({ kind: 'invalid', problems });
  });

  it('lists every problem of a body at once', () => {
    const body = broken('push', (b) => {
      b.after = 'x';
      b.before = 'y';
      delete b.compare;
    });
    const outcome = interpretDelivery('push', body);
    expect(outcome.kind === 'invalid' && outcome.problems.map((p) => p.path)).toEqual(['before', 'after', 'compare']);
  });

  it('names the repository of an invalid body when it can, so the failure shows on the project', () => {
    const body = broken('push', (b) => (b.after = 'x'));
    expect(interpretDelivery('push', body)).toMatchObject({
      kind: 'invalid',
      repository: { fullName: 'Codertocat/Hello-World', cloneUrl: 'https://github.com/Codertocat/Hello-World.git' },
    });
    const badUrl = broken('push', (b) => (at(b, 'repository').clone_url = 7));
    expect(interpretDelivery('push', badUrl)).toMatchObject({
      kind: 'invalid',
      repository: { fullName: 'Codertocat/Hello-World' },
    });
  });
});
