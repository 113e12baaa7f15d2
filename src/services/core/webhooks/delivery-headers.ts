/**
 * Reads the headers GitHub sends with every webhook delivery and says, header by header, what
 * is wrong and how to fix it. All problems are reported at once so one settings change fixes them.
 */
import { parseSignatureHeader, SIGNATURE_HEADER } from './signature.js';

/** Request headers as Node and Fastify hand them over: any key case, repeated headers as arrays. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * How the body is encoded, from the webhook's "Content type" setting:
 * `json` is the body itself, `form` is `payload=<url-encoded JSON>`.
 */
export type BodyEncoding = 'json' | 'form';

/** The validated headers of one delivery. */
export interface DeliveryHeaders {
  /** `X-GitHub-Event`, e.g. `push`, `pull_request`, `ping`. */
  readonly event: string;
  /** `X-GitHub-Delivery`, lowercased: GitHub reuses it on redelivery, so it is the dedupe key. */
  readonly deliveryId: string;
  /** `X-Hub-Signature-256` as sent; well-formed, not yet verified (see verifyGitHubSignature). */
  readonly signature: string;
  readonly bodyEncoding: BodyEncoding;
  /** `X-GitHub-Hook-ID`, when sent and numeric. */
  readonly hookId?: string;
  /**
   * `X-GitHub-Hook-Installation-Target-Type` and `-ID` (for repository webhooks: `repository` and
   * the numeric repository id), when both are sent. They identify the sender without parsing the body.
   */
  readonly target?: { readonly type: string; readonly id: string };
}

/** One bad header; `message` names it and says how to fix it. All are 4xx-worthy. */
export interface HeaderProblem {
  /** The header as GitHub spells it, e.g. `X-GitHub-Delivery`. */
  readonly header: string;
  readonly message: string;
}

/** Either the validated headers or every problem found. */
export type DeliveryHeadersResult =
  | { readonly ok: true; readonly headers: DeliveryHeaders }
  | { readonly ok: false; readonly problems: readonly HeaderProblem[] };

const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC_ID = /^\d{1,20}$/;
const FROM_GITHUB = 'send deliveries from a GitHub webhook (repository Settings → Webhooks)';

/** A header's value; `null` when it was sent more than once, which is already reported. */
type HeaderValue = string | undefined | null;

/**
 * Validates `X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256` and `Content-Type`.
 * Does not verify the signature; that needs the project's secret.
 */
export function readDeliveryHeaders(headers: HeaderBag): DeliveryHeadersResult {
  const problems: HeaderProblem[] = [];
  const read = (name: string): HeaderValue => readSingle(headers, name, problems);

  const event = checkEvent(read('X-GitHub-Event'), problems);
  const deliveryId = checkDeliveryId(read('X-GitHub-Delivery'), problems);
  // The SHA-1 header only improves the message when the SHA-256 one is missing; never refuse over it.
  const sha1Signature = readSingle(headers, 'X-Hub-Signature', []);
  const signature = checkSignature(read(SIGNATURE_HEADER), sha1Signature, problems);
  const bodyEncoding = checkContentType(read('Content-Type'), problems);
  if (event === undefined || deliveryId === undefined || signature === undefined || bodyEncoding === undefined) {
    return { ok: false, problems };
  }
  return { ok: true, headers: { event, deliveryId, signature, bodyEncoding, ...readOptional(headers) } };
}

function checkEvent(value: HeaderValue, problems: HeaderProblem[]): string | undefined {
  const header = 'X-GitHub-Event';
  if (value === null) return undefined;
  if (value === undefined) return fail(problems, header, `${header} header is missing: ${FROM_GITHUB}`);
  if (!EVENT_NAME.test(value)) {
    return fail(
      problems,
      header,
      `${header} must be a GitHub event name such as push or pull_request (lowercase letters, digits and _, at most 64 characters)`,
    );
  }
  return value;
}

function checkDeliveryId(value: HeaderValue, problems: HeaderProblem[]): string | undefined {
  const header = 'X-GitHub-Delivery';
  if (value === null) return undefined;
  if (value === undefined) return fail(problems, header, `${header} header is missing: ${FROM_GITHUB}`);
  if (!GUID.test(value)) {
    return fail(
      problems,
      header,
      `${header} must be a GUID like 72d3162e-cc78-11e3-81ab-4c9367dc0958, as GitHub sends it`,
    );
  }
  return value.toLowerCase();
}

function checkSignature(value: HeaderValue, sha1Value: HeaderValue, problems: HeaderProblem[]): string | undefined {
  if (value === null) return undefined;
  if (value === undefined && typeof sha1Value === 'string') {
    return fail(
      problems,
      SIGNATURE_HEADER,
      `${SIGNATURE_HEADER} header is missing and only the SHA-1 X-Hub-Signature was sent; Gyre accepts only SHA-256 signatures: use a GitHub version that sends ${SIGNATURE_HEADER} and keep a secret set in the webhook settings`,
    );
  }
  const parsed = parseSignatureHeader(value);
  return parsed.ok ? value : fail(problems, SIGNATURE_HEADER, parsed.message);
}

function checkContentType(value: HeaderValue, problems: HeaderProblem[]): BodyEncoding | undefined {
  const header = 'Content-Type';
  const fix = 'choose application/json as the "Content type" in the GitHub webhook settings';
  if (value === null) return undefined;
  if (value === undefined) return fail(problems, header, `${header} header is missing: ${fix}`);
  const mediaType = (value.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  return fail(
    problems,
    header,
    `${header} must be application/json or application/x-www-form-urlencoded, not ${JSON.stringify(mediaType.slice(0, 100))}: ${fix}`,
  );
}

function fail(problems: HeaderProblem[], header: string, message: string): undefined {
  problems.push({ header, message });
  return undefined;
}

function readOptional(headers: HeaderBag): Pick<DeliveryHeaders, 'hookId' | 'target'> {
  // Informational only (older GitHub Enterprise Server versions omit them), so a missing or odd
  // value leaves the field out instead of refusing the delivery.
  const notReported: HeaderProblem[] = [];
  const hookId = readSingle(headers, 'X-GitHub-Hook-ID', notReported) ?? '';
  const type = readSingle(headers, 'X-GitHub-Hook-Installation-Target-Type', notReported) ?? '';
  const id = readSingle(headers, 'X-GitHub-Hook-Installation-Target-ID', notReported) ?? '';
  return {
    ...(NUMERIC_ID.test(hookId) ? { hookId } : {}),
    ...(EVENT_NAME.test(type) && NUMERIC_ID.test(id) ? { target: { type, id } } : {}),
  };
}

/** Finds a header whatever its case; a header sent more than once is a problem, not a guess. */
function readSingle(headers: HeaderBag, name: string, problems: HeaderProblem[]): HeaderValue {
  const wanted = name.toLowerCase();
  const values = Object.keys(headers)
    .filter((key) => key.toLowerCase() === wanted)
    .flatMap((key) => headers[key] ?? []);
  if (values.length > 1) {
    problems.push({ header: name, message: `${name} was sent ${values.length} times; send it once` });
    return null;
  }
  const value = values[0]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
