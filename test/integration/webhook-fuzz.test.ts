import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { signGitHubBody } from '../../src/services/core/webhooks/index.js';
import { examplesOf } from '../support/github-examples.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// Whatever arrives at the webhook endpoint, Gyre gives the one answer its inbox documents
// (README "Connecting a GitHub repository", src/services/core/webhooks/index.ts), in this order:
//   415 Content-Type is not application/json or application/x-www-form-urlencoded;
//   400 another GitHub header (X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256) is missing or malformed;
//   404 the project does not exist;
//   401 the signature does not match the body: nothing is stored;
//   then the delivery is stored once per X-GitHub-Delivery (in any letter case), a repeat is 200 {duplicate};
//   400 the body is not UTF-8 JSON (or a form without a JSON `payload` field);
//   403 refused: the body names (as repository.full_name) a repository the project is not linked to;
//   400 the body is not the event's payload;
//   200 ping; 200 skipped ([skip ci] in a push's head commit);
//   202 ignored (other events, other pull request actions, deleted refs); 202 pipeline.
// (413, a body over 25 MB, is not generated here: pipeline-intake.test.ts sends one.)
// Each generated case is built so its answer is known, and checked exactly; a delivery that
// creates a pipeline is followed until the pipeline fails at fetching, as it must (the project's
// repository is unreachable). 10,000 cases in CI, as the issue asks.
const runs = process.env['CI'] === 'true' ? 10_000 : 300;
// Each pipeline takes about a second to fail its fetch (git retries once), so allow for them.
const timeoutFor = (cases: number) => 120_000 + cases * 250;
const UNREACHABLE = '127.0.0.1:1/none.git';
/** The repository the project is linked to: the one most of GitHub's examples name. */
const LINKED_REPOSITORY = 'Codertocat/Hello-World';
const MISSING_PROJECT = 999_999;
let gyre: ServicesUnderTest;
let project: { id: number; webhookSecret: string };

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  // Nothing listens on port 1, so pipelines that do get created fail fast at fetching.
  const created = await gyre.api('/api/v1/projects', {
    body: { name: 'fuzz/target', gitUrl: `git://${UNREACHABLE}`, repository: LINKED_REPOSITORY },
  });
  project = (await created.json()) as typeof project;
}, 300_000);

afterAll(async () => {
  await gyre?.stop();
}, 120_000);

// ---------------------------------------------------------------------------------------------
// What a case is, and what Gyre must make of it.

type Outcome = 'pipeline' | 'ignored' | 'skipped' | 'ping' | 'invalid' | 'refused';
type Encoding = 'json' | 'form';

/** A delivery whose headers GitHub could have sent, and what the inbox must make of its body. */
interface Delivery {
  readonly event: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly outcome: Outcome;
  /** For `invalid` payloads: a field that `error.details` must name (`(body)` for the whole body). */
  readonly badField?: string;
  /** For `ping`: the zen the answer repeats. */
  readonly zen?: string;
  /** For `skipped`: the marker the reason quotes. */
  readonly marker?: string;
  /** For `pipeline`: what the pipeline is made of. */
  readonly pipeline?: { readonly trigger: 'push' | 'pull_request'; readonly sha: string };
}

/** A delivery as `GET /api/v1/deliveries` must list it. */
interface StoredDelivery {
  readonly deliveryId: string;
  readonly event: string;
  readonly projectId: number;
  readonly outcome: Outcome;
  readonly outcomeDetail: string | null;
  readonly statusCode: number;
  readonly pipelineId: number | null;
}

const USED_EVENTS = ['push', 'pull_request', 'ping'] as const;
type UsedEvent = (typeof USED_EVENTS)[number];
const TRIGGER_ACTIONS: readonly string[] = ['opened', 'synchronize', 'reopened'];
const ZERO_SHA = '0'.repeat(40);
const SKIP_MARKER = /\[(?:ci skip|skip ci)\]/i;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// Bodies.

const CONTENT_TYPES: Record<Encoding, readonly string[]> = {
  json: ['application/json', 'application/json; charset=utf-8', 'Application/JSON'],
  form: ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'],
};
const encodings = fc.constantFrom<Encoding>('json', 'form');
const contentTypeFor = (encoding: Encoding) => fc.constantFrom(...CONTENT_TYPES[encoding]);

/** The bytes GitHub sends for a JSON value with the webhook's content type. */
function encode(value: unknown, encoding: Encoding): Buffer {
  const text = JSON.stringify(value);
  return Buffer.from(encoding === 'json' ? text : `payload=${encodeURIComponent(text)}`);
}

/** The JSON value in a body as GitHub encodes it (UTF-8 JSON, or a form's `payload` field), if any. */
function decode(body: Buffer, encoding: Encoding): { value: unknown } | undefined {
  if (!isUtf8(body)) return undefined;
  const text = body.toString('utf8');
  const json = encoding === 'json' ? text : new URLSearchParams(text).get('payload');
  if (json === null) return undefined;
  try {
    return { value: JSON.parse(json) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * The first field each event's payload must have: a body without it is invalid for that event,
 * whatever else it holds (push and ping) or before anything else is read (pull_request).
 */
const FIRST_FIELD: Record<UsedEvent, string> = { push: 'ref', pull_request: 'action', ping: 'zen' };
const isUsedEvent = (event: string): event is UsedEvent => (USED_EVENTS as readonly string[]).includes(event);

/** Event names Gyre does not use; deliveries of them are recorded and ignored. */
const otherEvents = fc
  .oneof(
    fc.constantFrom('issues', 'create', 'delete', 'release', 'workflow_run', 'check_suite', 'pull_request_review'),
    fc.stringMatching(/^[a-z][a-z0-9_]{0,63}$/),
  )
  .filter((event) => !isUsedEvent(event));
const anyEvent = fc.oneof(fc.constantFrom(...USED_EVENTS), otherEvents);

// ---------------------------------------------------------------------------------------------
// Real payloads, as is or with one field changed, with the outcome GitHub's documentation gives.

type FieldKind = 'ref' | 'sha' | 'string' | 'boolean' | 'object' | 'objectOrNull' | 'positive' | 'nonNegative';

interface Example {
  readonly event: UsedEvent;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly outcome: Outcome;
  /** The top-level fields Gyre reads from this payload, with the kind of value each must hold. */
  readonly read: Readonly<Record<string, FieldKind>>;
  /** Of those, the ones the payload must have. */
  readonly required: readonly string[];
}

const PUSH_FIELDS: Record<string, FieldKind> = {
  ref: 'ref',
  before: 'sha',
  after: 'sha',
  compare: 'string',
  deleted: 'boolean',
  head_commit: 'objectOrNull',
  repository: 'object',
  sender: 'object',
};
const PULL_REQUEST_FIELDS: Record<string, FieldKind> = {
  action: 'string',
  number: 'positive',
  pull_request: 'object',
  repository: 'object',
  sender: 'object',
};

function exampleOf(event: UsedEvent, payload: Record<string, unknown>): Example {
  switch (event) {
    case 'push': {
      const headCommit = payload['head_commit'] as { message?: string } | null;
      const deleted = payload['deleted'] === true || payload['after'] === ZERO_SHA;
      const skipped = !deleted && SKIP_MARKER.test(headCommit?.message ?? '');
      return {
        event,
        payload,
        outcome: deleted ? 'ignored' : skipped ? 'skipped' : 'pipeline',
        read: PUSH_FIELDS,
        required: ['ref', 'before', 'after', 'compare', 'repository', 'sender'],
      };
    }
    case 'pull_request': {
      // Other actions are ignored before the rest of the payload is read.
      const builds = TRIGGER_ACTIONS.includes(payload['action'] as string);
      return builds
        ? { event, payload, outcome: 'pipeline', read: PULL_REQUEST_FIELDS, required: Object.keys(PULL_REQUEST_FIELDS) }
        : { event, payload, outcome: 'ignored', read: { action: 'string' }, required: ['action'] };
    }
    case 'ping':
      return {
        event,
        payload,
        outcome: 'ping',
        read: { zen: 'string', hook_id: 'nonNegative' },
        required: ['zen', 'hook_id'],
      };
  }
}

const examples: readonly Example[] = USED_EVENTS.flatMap((event) =>
  examplesOf(event).map((payload) => exampleOf(event, payload as Record<string, unknown>)),
);

const json = fc.jsonValue({ maxDepth: 3 });
const nonString = json.filter((v) => typeof v !== 'string');
/** A value Gyre must refuse in a field of this kind. */
const wrongValue: Record<FieldKind, fc.Arbitrary<unknown>> = {
  ref: fc.oneof(
    nonString,
    fc.string().filter((s) => !/^refs\/(heads|tags)\/./.test(s)),
  ),
  sha: fc.oneof(
    nonString,
    fc.string().filter((s) => !/^[0-9a-f]{40}$/.test(s)),
    // Upper case is not how GitHub writes a commit id.
    fc.stringMatching(/^[0-9a-f]{39}[A-F]$/),
  ),
  string: nonString,
  boolean: json.filter((v) => typeof v !== 'boolean'),
  object: json.filter((v) => !isPlainObject(v)),
  objectOrNull: json.filter((v) => v !== null && !isPlainObject(v)),
  positive: json.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v > 0)),
  nonNegative: json.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0)),
};
/** Clone URLs git must never be handed: not http(s)://host. */
const badCloneUrls = fc.oneof(
  fc.constantFrom('file:///etc/passwd', 'ext::sh -c touch% /tmp/pwned', 'https:github.com/a/b', 'git@github.com:a/b'),
  fc.string().filter((s) => !/^https?:\/\/[^\s/]\S*$/i.test(s)),
);

interface Change {
  readonly payload: Record<string, unknown>;
  readonly outcome: Outcome;
  readonly badField?: string;
  readonly marker?: string;
}

/** One example, changed in a way whose effect on the outcome is known. */
function changesOf(example: Example): fc.Arbitrary<Change> {
  const copy = () => structuredClone(example.payload) as Record<string, unknown>;
  const same = { outcome: example.outcome };
  const unread = Object.keys(example.payload).filter((key) => !(key in example.read));
  const options: fc.Arbitrary<Change>[] = [fc.constant({ payload: copy(), ...same })];
  if (unread.length > 0) {
    // A field Gyre does not read changes nothing, whatever it holds or when it is gone.
    options.push(
      fc.tuple(fc.constantFrom(...unread), fc.option(json, { nil: undefined })).map(([key, value]) => {
        const payload = copy();
        if (value === undefined) delete payload[key];
        else payload[key] = value;
        return { payload, ...same };
      }),
    );
  }
  // A field Gyre reads, holding the wrong kind of value or (when required) gone, makes it invalid.
  options.push(
    fc
      .constantFrom(...Object.keys(example.read))
      .chain((key) => fc.tuple(fc.constant(key), wrongValue[example.read[key]!]))
      .map(([key, value]) => ({ payload: { ...copy(), [key]: value }, outcome: 'invalid', badField: key })),
    fc.constantFrom(...example.required).map((key) => {
      const payload = copy();
      delete payload[key];
      return { payload, outcome: 'invalid', badField: key };
    }),
  );
  // Another repository's name is refused, however the rest reads; GitHub ignores case in names.
  if (isPlainObject(example.payload['repository'])) {
    options.push(
      fc
        .constantFrom('someone-else/Hello-World', 'Codertocat/Hello-World-2', 'codertocat/hello-world')
        .map((fullName) => {
          const payload = copy();
          payload['repository'] = { ...(payload['repository'] as object), full_name: fullName };
          return { payload, outcome: example.outcome };
        }),
    );
  }
  // Push and (building) pull request payloads name the repository git fetches.
  if (example.event === 'push' || (example.event === 'pull_request' && example.outcome === 'pipeline')) {
    options.push(
      badCloneUrls.map((url) => {
        const payload = copy();
        payload['repository'] = { ...(payload['repository'] as object), clone_url: url };
        return { payload, outcome: 'invalid', badField: 'repository.clone_url' };
      }),
    );
  }
  if (example.event === 'push' && example.outcome === 'pipeline') {
    options.push(
      fc
        .tuple(fc.string(), fc.constantFrom('[skip ci]', '[ci skip]', '[Skip CI]', '[CI SKIP]'), fc.string())
        .map(([before, marker, after]) => {
          const payload = copy();
          payload['head_commit'] = { ...(payload['head_commit'] as object), message: `${before}${marker}${after}` };
          return { payload, outcome: 'skipped', marker };
        }),
    );
  }
  if (example.event === 'pull_request' && example.outcome === 'pipeline') {
    // Any other action is ignored.
    options.push(
      fc.oneof(fc.constantFrom(...TRIGGER_ACTIONS, 'closed', 'labeled', 'edited'), fc.string()).map((action) => ({
        payload: { ...copy(), action },
        outcome: TRIGGER_ACTIONS.includes(action) ? 'pipeline' : 'ignored',
      })),
    );
  }
  return fc.oneof(...options);
}

function pipelineOf(event: UsedEvent, payload: Record<string, unknown>): Delivery['pipeline'] {
  if (event === 'push') return { trigger: 'push', sha: payload['after'] as string };
  const head = (payload['pull_request'] as { head: { sha: string } }).head;
  return { trigger: 'pull_request', sha: head.sha };
}

const realPayloads: fc.Arbitrary<Delivery> = fc
  .tuple(fc.constantFrom(...examples), encodings)
  .chain(([example, encoding]) => fc.tuple(fc.constant(example), changesOf(example), contentTypeFor(encoding)))
  .map(([example, change, contentType]): Delivery => {
    const encoding = CONTENT_TYPES.json.includes(contentType) ? 'json' : 'form';
    return {
      event: example.event,
      body: encode(change.payload, encoding),
      contentType,
      outcome: change.outcome,
      ...(change.badField !== undefined && { badField: change.badField }),
      ...(change.marker !== undefined && { marker: change.marker }),
      ...(change.outcome === 'ping' && { zen: change.payload['zen'] as string }),
      ...(change.outcome === 'pipeline' && { pipeline: pipelineOf(example.event, change.payload) }),
    };
  });

/** Any JSON value under an event Gyre does not use: recorded and ignored. */
const otherEventPayloads: fc.Arbitrary<Delivery> = fc
  .tuple(otherEvents, json, encodings)
  .chain(([event, value, encoding]) =>
    contentTypeFor(encoding).map((contentType) => ({
      event,
      body: encode(value, encoding),
      contentType,
      outcome: 'ignored' as const,
    })),
  );

/** Any JSON value lacking the event's first field, under push, pull_request or ping: invalid. */
const notTheEventsPayload: fc.Arbitrary<Delivery> = fc
  .tuple(fc.constantFrom(...USED_EVENTS), json, encodings)
  .filter(([event, value]) => !(isPlainObject(value) && FIRST_FIELD[event] in value))
  .chain(([event, value, encoding]) =>
    contentTypeFor(encoding).map((contentType) => ({
      event,
      body: encode(value, encoding),
      contentType,
      outcome: 'invalid' as const,
      badField: isPlainObject(value) ? FIRST_FIELD[event] : '(body)',
    })),
  );

/** Any bytes, mostly not JSON at all, under any event. */
const anyBytes: fc.Arbitrary<Delivery> = fc
  .tuple(
    anyEvent,
    encodings,
    fc.oneof(
      fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
      // Form bodies whose payload is sent unencoded, or is not JSON.
      fc
        .oneof(
          json.map((value) => JSON.stringify(value)),
          fc.string(),
        )
        .map((text) => Buffer.from(`payload=${text}`)),
    ),
  )
  .map(([event, encoding, body]) => ({ event, encoding, body, decoded: decode(body, encoding) }))
  // A decoded body under a used event is invalid unless it has the event's first field; leave
  // those to the payload generators.
  .filter(
    ({ event, decoded }) =>
      !(isUsedEvent(event) && isPlainObject(decoded?.value) && FIRST_FIELD[event] in decoded.value),
  )
  .chain(({ event, encoding, body, decoded }) =>
    contentTypeFor(encoding).map((contentType): Delivery => ({
      event,
      body,
      contentType,
      outcome: decoded !== undefined && !isUsedEvent(event) ? 'ignored' : 'invalid',
      // A JSON value that is not the event's payload has its fields named.
      ...(decoded !== undefined &&
        isUsedEvent(event) && { badField: isPlainObject(decoded.value) ? FIRST_FIELD[event] : '(body)' }),
    })),
  );

/**
 * The repository a decodable body names, read as leniently as Gyre reads it to tie a delivery to
 * a project: any `repository.full_name` of the form owner/name, whatever else the body holds.
 */
function namedRepository(delivery: Delivery): string | undefined {
  const encoding = CONTENT_TYPES.json.includes(delivery.contentType) ? 'json' : 'form';
  const value = decode(delivery.body, encoding)?.value;
  if (!isPlainObject(value) || !isPlainObject(value['repository'])) return undefined;
  const fullName = value['repository']['full_name'];
  return typeof fullName === 'string' && /^[^/\s]+\/[^/\s]+$/.test(fullName) ? fullName : undefined;
}

/** A decodable body that names another repository than the linked one is refused before anything else is read. */
function refusedWhenForeign(delivery: Delivery): Delivery {
  const named = namedRepository(delivery);
  if (named === undefined || named.toLowerCase() === LINKED_REPOSITORY.toLowerCase()) return delivery;
  return { event: delivery.event, body: delivery.body, contentType: delivery.contentType, outcome: 'refused' };
}

/** A delivery as GitHub could send it; signed right, Gyre's answer depends only on the body. */
const deliveries: fc.Arbitrary<Delivery> = fc
  .oneof(
    { weight: 4, arbitrary: realPayloads },
    { weight: 1, arbitrary: otherEventPayloads },
    { weight: 1, arbitrary: notTheEventsPayload },
    { weight: 2, arbitrary: anyBytes },
  )
  .map(refusedWhenForeign);

// ---------------------------------------------------------------------------------------------
// Talking to Gyre.

async function post(headers: Record<string, string>, body: Buffer, projectId = project.id) {
  const response = await fetch(`${gyre.base}/webhooks/github?project=${projectId}`, {
    method: 'POST',
    headers,
    body,
  });
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> };
}

/** Every item of a paginated list, following `nextCursor` as `before`. */
async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let before: number | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = (await (
      await gyre.api(`${path}${separator}limit=200${before === null ? '' : `&before=${before}`}`)
    ).json()) as { items: T[]; nextCursor: number | null };
    items.push(...page.items);
    before = page.nextCursor;
  } while (before !== null);
  return items;
}

/** Every delivery Gyre lists (any project), and every pipeline of the project. */
async function storedState(): Promise<{ deliveries: StoredDelivery[]; pipelineIds: number[] }> {
  const listed = await listAll<StoredDelivery & { id: number; receivedAt: string }>('/api/v1/deliveries');
  const pipelines = await listAll<{ id: number }>(`/api/v1/projects/${project.id}/pipelines`);
  return {
    deliveries: listed
      .map(({ deliveryId, event, projectId, outcome, outcomeDetail, statusCode, pipelineId }) => ({
        deliveryId,
        event,
        projectId,
        outcome,
        outcomeDetail,
        statusCode,
        pipelineId,
      }))
      .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId)),
    pipelineIds: pipelines.map((p) => p.id).sort((a, b) => a - b),
  };
}

/** What {@link storedState} must show after the deliveries in `expected`, and nothing else, were stored. */
/** A detail as PostgreSQL text can hold it: NUL and half a surrogate pair become U+FFFD (delivery-store.ts). */
const storable = (detail: string) => detail.replaceAll('\u0000', '\uFFFD').toWellFormed();

function stateOf(expected: Iterable<StoredDelivery>): Awaited<ReturnType<typeof storedState>> {
  const deliveries = [...expected].sort((a, b) => a.deliveryId.localeCompare(b.deliveryId));
  return {
    deliveries,
    pipelineIds: deliveries.flatMap((d) => (d.pipelineId === null ? [] : [d.pipelineId])).sort((a, b) => a - b),
  };
}

/** The pipeline fails at fetching the unreachable repository, with the delivery's commit. */
async function expectPipelineFailsToFetch(id: number, expected: NonNullable<Delivery['pipeline']>): Promise<void> {
  const pipeline = await until(`pipeline ${id} to leave pending`, async () => {
    const answer = (await (await gyre.api(`/api/v1/pipelines/${id}`)).json()) as { state: string };
    return answer.state !== 'pending' ? answer : undefined;
  });
  expect(pipeline).toMatchObject({
    id,
    projectId: project.id,
    trigger: expected.trigger,
    sha: expected.sha,
    state: 'error',
    error: { kind: 'fetch', message: expect.stringContaining(UNREACHABLE) },
  });
}

/** Checks the answer to a correctly signed delivery; returns the delivery as Gyre must store it. */
function expectAnswer(
  delivery: Delivery,
  deliveryId: string,
  status: number,
  answer: Record<string, unknown>,
): StoredDelivery {
  const base = { deliveryId, event: delivery.event, projectId: project.id, outcome: delivery.outcome };
  switch (delivery.outcome) {
    case 'invalid': {
      expect({ status, answer }).toEqual({
        status: 400,
        answer: {
          error: {
            code: 'invalid_delivery',
            message: expect.any(String),
            // Undecodable bytes have no fields to name; a payload names every bad field.
            ...(delivery.badField !== undefined && {
              details: expect.arrayContaining([
                { path: expect.stringMatching(fieldPath(delivery.badField)), message: expect.any(String) },
              ]),
            }),
          },
        },
      });
      const message = (answer['error'] as { message: string }).message;
      return { ...base, outcomeDetail: storable(message), statusCode: 400, pipelineId: null };
    }
    case 'refused': {
      expect({ status, answer }).toEqual({
        status: 403,
        answer: {
          error: {
            code: 'foreign_repository',
            message: expect.stringContaining(`linked to ${LINKED_REPOSITORY}`),
          },
        },
      });
      const message = (answer['error'] as { message: string }).message;
      return { ...base, outcomeDetail: storable(message), statusCode: 403, pipelineId: null };
    }
    case 'ignored':
      expect({ status, answer }).toEqual({ status: 202, answer: { ignored: expect.any(String) } });
      return { ...base, outcomeDetail: answer['ignored'] as string, statusCode: 202, pipelineId: null };
    case 'skipped':
      expect({ status, answer }).toEqual({
        status: 200,
        answer: { skipped: expect.stringContaining(delivery.marker!) },
      });
      return { ...base, outcomeDetail: answer['skipped'] as string, statusCode: 200, pipelineId: null };
    case 'ping':
      expect({ status, answer }).toEqual({ status: 200, answer: { ping: true, zen: delivery.zen } });
      return { ...base, outcomeDetail: null, statusCode: 200, pipelineId: null };
    case 'pipeline': {
      expect({ status, answer }).toEqual({
        status: 202,
        answer: { pipeline: { id: expect.any(Number), number: expect.any(Number), state: 'pending' } },
      });
      const pipeline = answer['pipeline'] as { id: number; number: number };
      return { ...base, outcomeDetail: `pipeline ${pipeline.number}`, statusCode: 202, pipelineId: pipeline.id };
    }
  }
}

/** `field` itself or anything inside it, as `error.details[].path` writes it. */
function fieldPath(field: string): RegExp {
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}(?:$|[.[])`);
}

const flipCase = (id: string) => (id === id.toLowerCase() ? id.toUpperCase() : id.toLowerCase());

// ---------------------------------------------------------------------------------------------

describe('the webhook endpoint under fuzzing', () => {
  it(
    'answers every correctly signed delivery as its event and body demand, stores it once, and fails its pipeline at fetching',
    async () => {
      // Every delivery Gyre must have stored, by lowercase delivery id.
      const stored = new Map((await storedState()).deliveries.map((d) => [d.deliveryId, d]));
      // The pipelines made, checked once the deliveries are in: the planner fails them at fetching
      // while later deliveries arrive, instead of each case waiting for its own.
      const pipelines: [number, NonNullable<Delivery['pipeline']>][] = [];
      await fc.assert(
        fc.asyncProperty(
          deliveries,
          fc.boolean(),
          fc.nat(7).map((n) => n === 0),
          async (delivery, upperCaseId, sendTwice) => {
            const deliveryId = randomUUID();
            const headers = {
              'content-type': delivery.contentType,
              'user-agent': 'GitHub-Hookshot/fuzz',
              'x-github-event': delivery.event,
              'x-github-delivery': upperCaseId ? deliveryId.toUpperCase() : deliveryId,
              'x-hub-signature-256': signGitHubBody(delivery.body, project.webhookSecret),
            };
            const { status, answer } = await post(headers, delivery.body);
            const expected = expectAnswer(delivery, deliveryId, status, answer);
            stored.set(deliveryId, expected);
            if (expected.pipelineId !== null) pipelines.push([expected.pipelineId, delivery.pipeline!]);
            if (sendTwice) {
              // GitHub's redelivery: same delivery id (here in the other letter case), same bytes.
              const again = await post(
                { ...headers, 'x-github-delivery': flipCase(headers['x-github-delivery']) },
                delivery.body,
              );
              expect(again).toEqual({
                status: 200,
                answer: {
                  duplicate: true,
                  delivery: { ...expected, id: expect.any(Number), receivedAt: expect.any(String) },
                },
              });
            }
          },
        ),
        { numRuns: runs },
      );
      for (const [id, pipeline] of pipelines) await expectPipelineFailsToFetch(id, pipeline);
      expect(await storedState()).toEqual(stateOf(stored.values()));
    },
    timeoutFor(runs),
  );

  it(
    'refuses with 401 any body sent behind a well-formed wrong signature, and stores nothing',
    async () => {
      const before = await storedState();
      const wrongSignatures = fc.oneof(
        // Signed with another secret.
        fc.string({ minLength: 1, maxLength: 40 }).map((secret) => (body: Buffer) => signGitHubBody(body, secret)),
        // The right secret over other bytes: the body was changed on the way.
        fc
          .uint8Array({ minLength: 1, maxLength: 16 })
          .map((extra) => (body: Buffer) => signGitHubBody(Buffer.concat([body, extra]), project.webhookSecret)),
        // Any digest.
        fc.stringMatching(/^[0-9a-fA-F]{64}$/).map((digest) => () => `sha256=${digest}`),
      );
      await fc.assert(
        fc.asyncProperty(deliveries, wrongSignatures, async (delivery, sign) => {
          const signature = sign(delivery.body);
          fc.pre(signature.toLowerCase() !== signGitHubBody(delivery.body, project.webhookSecret));
          const { status, answer } = await post(
            {
              'content-type': delivery.contentType,
              'x-github-event': delivery.event,
              'x-github-delivery': randomUUID(),
              'x-hub-signature-256': signature,
            },
            delivery.body,
          );
          expect({ status, answer }).toEqual({
            status: 401,
            answer: { error: { code: 'bad_signature', message: expect.any(String) } },
          });
        }),
        { numRuns: Math.ceil(runs / 5) },
      );
      expect(await storedState()).toEqual(before);
    },
    timeoutFor(runs / 5),
  );

  it(
    'answers arbitrary headers with the one documented refusal: 415, 400 naming each bad header, 404 or 401',
    async () => {
      const before = await storedState();
      const printable = fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
      const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
      /** A header as GitHub sends it (most often), almost as GitHub sends it, absent, empty, or anything. */
      const header = (valid: fc.Arbitrary<string>, nearlyValid: fc.Arbitrary<string>) =>
        fc.oneof(
          { weight: 12, arbitrary: valid },
          { weight: 2, arbitrary: nearlyValid },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constant('') },
          { weight: 2, arbitrary: printable },
        );
      const headerSets = fc.record({
        event: header(
          fc.oneof(fc.constantFrom(...USED_EVENTS), otherEvents),
          fc.constantFrom('Push', 'pull-request', '_push', 'push event', 'x'.repeat(65)),
        ),
        deliveryId: header(
          fc.oneof(
            fc.uuid(),
            fc.uuid().map((id) => id.toUpperCase()),
          ),
          fc.oneof(
            fc.uuid().map((id) => id.replaceAll('-', '')),
            fc.uuid().map((id) => `{${id}}`),
          ),
        ),
        // Never the right signature: well-formed but wrong, or malformed.
        signature: header(
          fc.oneof(
            hex(64).map((digest) => `sha256=${digest}`),
            hex(64).map((digest) => `SHA256=${digest.toUpperCase()}`),
          ),
          fc.oneof(
            hex(40).map((digest) => `sha1=${digest}`),
            fc.integer({ min: 0, max: 80 }).chain((length) => hex(length).map((digest) => `sha256=${digest}`)),
            hex(64),
          ),
        ),
        sha1Signature: fc.option(
          hex(40).map((digest) => `sha1=${digest}`),
          { nil: undefined },
        ),
        contentType: header(
          fc.constantFrom(...CONTENT_TYPES.json, ...CONTENT_TYPES.form),
          fc.constantFrom(
            'text/plain',
            'application/xml',
            'application/jsonp',
            'json',
            'multipart/form-data; boundary=x',
          ),
        ),
        projectExists: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(headerSets, deliveries, async (sent, delivery) => {
          const headers = Object.fromEntries(
            Object.entries({
              'x-github-event': sent.event,
              'x-github-delivery': sent.deliveryId,
              'x-hub-signature-256': sent.signature,
              'x-hub-signature': sent.sha1Signature,
              'content-type': sent.contentType,
            }).filter((e): e is [string, string] => e[1] !== undefined),
          );
          fc.pre(sent.signature?.trim().toLowerCase() !== signGitHubBody(delivery.body, project.webhookSecret));
          const { status, answer } = await post(
            headers,
            delivery.body,
            sent.projectExists ? project.id : MISSING_PROJECT,
          );
          expect({ status, answer }).toEqual(expectedRefusal(sent));
        }),
        { numRuns: Math.ceil(runs / 5) },
      );
      expect(await storedState()).toEqual(before);
    },
    timeoutFor(runs / 5),
  );
});

/** What Gyre must answer to headers that never carry the right signature. */
function expectedRefusal(sent: {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  projectExists: boolean;
}): { status: number; answer: unknown } {
  // A Content-Type that is not even `type/subtype` is refused by the HTTP framework before the
  // inbox sees the delivery: still 415, but with the framework's code and no details.
  // (Reported: unlike the inbox's answer, it names neither the header nor the other problems.)
  const TOKEN = "[\\w!#$%&'*+.^`|~-]+";
  if (
    sent.contentType !== undefined &&
    !new RegExp(`^\\s*${TOKEN}/${TOKEN}\\s*$`).test(sent.contentType.split(';')[0]!)
  )
    return { status: 415, answer: { error: { code: 'fst_err_ctp_invalid_media_type', message: expect.any(String) } } };
  const value = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const mediaType = (value(sent.contentType) ?? '').split(';')[0]!.trim().toLowerCase();
  const bad = [
    ['X-GitHub-Event', !/^[a-z][a-z0-9_]{0,63}$/.test(value(sent.event) ?? '')],
    [
      'X-GitHub-Delivery',
      !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value(sent.deliveryId) ?? ''),
    ],
    ['X-Hub-Signature-256', !/^sha256=[0-9a-f]{64}$/i.test(value(sent.signature) ?? '')],
    ['Content-Type', !['application/json', 'application/x-www-form-urlencoded'].includes(mediaType)],
  ]
    .filter(([, isBad]) => isBad)
    .map(([name]) => name as string);
  if (bad.length > 0) {
    return {
      status: bad.includes('Content-Type') ? 415 : 400,
      answer: {
        error: {
          code: 'invalid_delivery',
          message: expect.any(String),
          details: bad.map((name) => ({ header: name, message: expect.any(String) })),
        },
      },
    };
  }
  if (!sent.projectExists)
    return { status: 404, answer: { error: { code: 'not_found', message: expect.any(String) } } };
  return { status: 401, answer: { error: { code: 'bad_signature', message: expect.any(String) } } };
}
