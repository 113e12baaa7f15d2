import { describe, expect, it } from '@jest/globals';
import { readDeliveryHeaders, type HeaderBag } from '../../../../../src/services/core/webhooks/index.js';

const signature = `sha256=${'ab'.repeat(32)}`;

/** Headers as Node hands over a real GitHub.com delivery (lowercased names). */
function githubHeaders(overrides: Record<string, string | string[] | undefined> = {}): HeaderBag {
  return {
    'user-agent': 'GitHub-Hookshot/044aadd',
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': '72D3162E-CC78-11E3-81AB-4C9367DC0958',
    'x-github-hook-id': '292430182',
    'x-github-hook-installation-target-type': 'repository',
    'x-github-hook-installation-target-id': '79929171',
    'x-hub-signature': 'sha1=7d38cdd689735b008b3c702edd92eea23791c5f6',
    'x-hub-signature-256': signature,
    ...overrides,
  };
}

function problemsOf(headers: HeaderBag): readonly { header: string; message: string }[] {
  const result = readDeliveryHeaders(headers);
  if (result.ok) throw new Error('expected header problems');
  return result.problems;
}

describe('readDeliveryHeaders', () => {
  it('reads a GitHub.com delivery and lowercases the delivery id used for dedupe', () => {
    expect(readDeliveryHeaders(githubHeaders())).toEqual({
      ok: true,
      headers: {
        event: 'push',
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        signature,
        bodyEncoding: 'json',
        hookId: '292430182',
        target: { type: 'repository', id: '79929171' },
      },
    });
  });

  it('finds headers whatever their case, as a raw header object may spell them', () => {
    const result = readDeliveryHeaders({
      'Content-Type': 'application/json; charset=utf-8',
      'X-GitHub-Event': 'ping',
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'X-Hub-Signature-256': signature,
    });
    expect(result).toEqual({
      ok: true,
      headers: { event: 'ping', deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', signature, bodyEncoding: 'json' },
    });
  });

  it('accepts the form-encoded content type GitHub offers', () => {
    const result = readDeliveryHeaders(githubHeaders({ 'content-type': 'application/x-www-form-urlencoded' }));
    expect(result.ok && result.headers.bodyEncoding).toBe('form');
  });

  it('leaves out informational headers that are missing or odd instead of refusing the delivery', () => {
    const result = readDeliveryHeaders(
      githubHeaders({ 'x-github-hook-id': 'abc', 'x-github-hook-installation-target-id': undefined }),
    );
    expect(result.ok && result.headers).not.toHaveProperty('hookId');
    expect(result.ok && result.headers).not.toHaveProperty('target');
  });

  it.each([
    {
      header: 'X-GitHub-Event',
      key: 'x-github-event',
      why: /X-GitHub-Event header is missing: send deliveries from a GitHub webhook/,
    },
    { header: 'X-GitHub-Delivery', key: 'x-github-delivery', why: /X-GitHub-Delivery header is missing/ },
    {
      header: 'Content-Type',
      key: 'content-type',
      why: /Content-Type header is missing: choose application\/json as the "Content type" in the GitHub webhook settings/,
    },
  ])('names $header when it is missing and says how to fix it', ({ header, key, why }) => {
    expect(problemsOf(githubHeaders({ [key]: undefined }))).toEqual([{ header, message: expect.stringMatching(why) }]);
  });

  it('says a missing signature needs a secret in the webhook settings', () => {
    const problems = problemsOf(githubHeaders({ 'x-hub-signature-256': undefined, 'x-hub-signature': undefined }));
    expect(problems).toEqual([
      {
        header: 'X-Hub-Signature-256',
        message: expect.stringMatching(/missing: set a secret in the GitHub webhook settings/),
      },
    ]);
  });

  it('explains a delivery signed only with SHA-1', () => {
    const problems = problemsOf(githubHeaders({ 'x-hub-signature-256': undefined }));
    expect(problems).toEqual([
      {
        header: 'X-Hub-Signature-256',
        message: expect.stringMatching(/only the SHA-1 X-Hub-Signature was sent; Gyre accepts only SHA-256/),
      },
    ]);
  });

  it.each([
    {
      key: 'x-github-event',
      value: 'Push Event',
      header: 'X-GitHub-Event',
      why: /must be a GitHub event name such as push/,
    },
    { key: 'x-github-event', value: 'x'.repeat(65), header: 'X-GitHub-Event', why: /at most 64 characters/ },
    {
      key: 'x-github-delivery',
      value: '12345',
      header: 'X-GitHub-Delivery',
      why: /must be a GUID like 72d3162e-cc78-11e3-81ab-4c9367dc0958/,
    },
    {
      key: 'x-github-delivery',
      value: '72d3162e-cc78-11e3-81ab-4c9367dc095g',
      header: 'X-GitHub-Delivery',
      why: /must be a GUID/,
    },
    {
      key: 'x-hub-signature-256',
      value: 'sha256=xyz',
      header: 'X-Hub-Signature-256',
      why: /must look like sha256=<64 hex digits>/,
    },
    {
      key: 'x-hub-signature-256',
      value: `sha1=${'a'.repeat(40)}`,
      header: 'X-Hub-Signature-256',
      why: /SHA-1 signature/,
    },
    {
      key: 'content-type',
      value: 'text/plain',
      header: 'Content-Type',
      why: /must be application\/json or application\/x-www-form-urlencoded, not "text\/plain": choose application\/json/,
    },
  ])('refuses $header: $value', ({ key, value, header, why }) => {
    expect(problemsOf(githubHeaders({ [key]: value }))).toEqual([{ header, message: expect.stringMatching(why) }]);
  });

  it('refuses a header sent twice instead of picking one', () => {
    const problems = problemsOf(githubHeaders({ 'x-github-event': ['push', 'ping'] }));
    expect(problems).toEqual([{ header: 'X-GitHub-Event', message: 'X-GitHub-Event was sent 2 times; send it once' }]);
  });

  it('does not refuse a delivery over a repeated SHA-1 header it does not use', () => {
    expect(readDeliveryHeaders(githubHeaders({ 'x-hub-signature': ['sha1=a', 'sha1=b'] })).ok).toBe(true);
  });

  it('reports every bad header at once', () => {
    const problems = problemsOf({ 'content-type': 'text/xml' });
    expect(problems.map((p) => p.header)).toEqual([
      'X-GitHub-Event',
      'X-GitHub-Delivery',
      'X-Hub-Signature-256',
      'Content-Type',
    ]);
  });
});
