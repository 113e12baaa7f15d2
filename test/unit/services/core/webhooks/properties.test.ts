/**
 * Property tests: whatever GitHub (or anyone) sends, the inbox core answers instead of throwing.
 * CI runs 10,000 cases per property (issue 3), local runs 500.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  DELIVERY_OUTCOME_KINDS,
  decodeDeliveryBody,
  interpretDelivery,
  readDeliveryHeaders,
  signGitHubBody,
  verifyGitHubSignature,
  type DeliveryOutcome,
} from '../../../../../src/services/core/webhooks/index.js';
import { examplesOf } from '../../../../support/github-examples.js';

const numRuns = process.env.CI === 'true' ? 10_000 : 500;
const USED_EVENTS = ['push', 'pull_request', 'ping'] as const;

const eventNames = fc.oneof(fc.constantFrom(...USED_EVENTS, 'issues'), fc.string({ maxLength: 40 }));

/** Checks the shape every outcome must have, and the guarantees a trigger gives to git. */
function expectWellFormed(outcome: DeliveryOutcome): void {
  expect(DELIVERY_OUTCOME_KINDS).toContain(outcome.kind);
  if (outcome.kind === 'invalid') {
    expect(outcome.problems.length).toBeGreaterThan(0);
    for (const problem of outcome.problems)
      expect(typeof problem.path === 'string' && typeof problem.message === 'string').toBe(true);
  }
  if (outcome.kind === 'trigger' || outcome.kind === 'skipped') {
    expect(outcome.trigger.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(outcome.trigger.repository.cloneUrl).toMatch(/^https?:\/\//);
  }
}

interface Mutation {
  readonly event: (typeof USED_EVENTS)[number];
  readonly body: unknown;
  readonly path: readonly string[];
}

/** Every path inside a value (object keys and array indexes), depth-first. */
function pathsOf(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

const mutationTargets: readonly Mutation[] = USED_EVENTS.flatMap((event) =>
  examplesOf(event).flatMap((body) => pathsOf(body).map((path) => ({ event, body, path }))),
);

/** A real payload with one field replaced by arbitrary JSON, or removed. */
const mutatedPayloads = fc
  .tuple(fc.constantFrom(...mutationTargets), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }))
  .map(([target, replacement]) => {
    const body = structuredClone(target.body) as Record<string, unknown>;
    const parent = target.path
      .slice(0, -1)
      .reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, body);
    const key = target.path[target.path.length - 1] ?? '';
    if (replacement === undefined) delete parent[key];
    else parent[key] = replacement;
    return { event: target.event, body };
  });

describe('interpretDelivery properties', () => {
  it('never throws on any JSON value under any event name, and always returns a known kind', () => {
    fc.assert(
      fc.property(eventNames, fc.jsonValue(), (event, body) => {
        expectWellFormed(interpretDelivery(event, body));
      }),
      { numRuns },
    );
  });

  it('never throws on real payloads with one field replaced or removed, and only triggers on a valid sha and clone URL', () => {
    fc.assert(
      fc.property(mutatedPayloads, ({ event, body }) => {
        expectWellFormed(interpretDelivery(event, body));
      }),
      { numRuns },
    );
  });
});

describe('clone URL property', () => {
  const cloneUrls = fc.oneof(
    fc.webUrl(),
    fc.string().map((s) => `https:${s}`),
    fc.string().map((s) => `http://${s}`),
    fc.string(),
  );

  it('hands git only http(s)://host URLs, whatever the payload says', () => {
    const payload = examplesOf('push')[0] as { repository: Record<string, unknown> };
    fc.assert(
      fc.property(cloneUrls, (cloneUrl) => {
        const outcome = interpretDelivery('push', {
          ...payload,
          repository: { ...payload.repository, clone_url: cloneUrl },
        });
        expectWellFormed(outcome);
        if (outcome.kind === 'trigger') expect(outcome.trigger.repository.cloneUrl).toMatch(/^https?:\/\/[^\s/]\S*$/i);
      }),
      { numRuns },
    );
  });
});

describe('signature and header properties', () => {
  const headers = fc.oneof(
    fc.constant(undefined),
    fc.string(),
    fc.string().map((s) => `sha256=${s}`),
    fc.stringMatching(/^sha256=[0-9a-fA-F]{60,68}$/),
  );

  it('never throws on any bytes, header and secret, and accepts only the true signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), headers, fc.string({ maxLength: 40 }), (bytes, header, secret) => {
        const body = Buffer.from(bytes);
        const check = verifyGitHubSignature(body, header, secret);
        if (check.ok) expect(header?.trim().toLowerCase()).toBe(signGitHubBody(body, secret));
      }),
      { numRuns },
    );
  });

  it('accepts what it signs, for any bytes and non-empty secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string({ minLength: 1, maxLength: 40 }), (bytes, secret) => {
        const body = Buffer.from(bytes);
        expect(verifyGitHubSignature(body, signGitHubBody(body, secret), secret)).toEqual({ ok: true });
      }),
      { numRuns },
    );
  });

  it('never throws on any header bag or body bytes', () => {
    const bag = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'x-github-event',
          'X-GitHub-Delivery',
          'x-hub-signature-256',
          'content-type',
          'x-github-hook-id',
        ),
        fc.string({ maxLength: 20 }),
      ),
      fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined)),
    );
    fc.assert(
      fc.property(
        bag,
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom('json' as const, 'form' as const),
        (headerBag, bytes, encoding) => {
          const result = readDeliveryHeaders(headerBag);
          expect(result.ok || result.problems.length > 0).toBe(true);
          expect(typeof decodeDeliveryBody(Buffer.from(bytes), encoding).ok).toBe('boolean');
        },
      ),
      { numRuns },
    );
  });
});
