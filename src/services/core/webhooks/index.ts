/**
 * The pure core of the GitHub webhook inbox (`POST /webhooks/github`): no database, no HTTP.
 * The HTTP layer calls, in this order:
 *
 * 1. {@link readDeliveryHeaders}: 400 (415 for Content-Type) with the problems when it fails;
 * 2. {@link verifyGitHubSignature} on the raw bytes with the project's secret: 401 when it fails;
 * 3. store the raw delivery, deduped on `deliveryId`;
 * 4. {@link decodeDeliveryBody}: 400 when it fails;
 * 5. {@link interpretDelivery}, then act on the outcome's `kind`.
 *
 * Decisions that later work relies on:
 * - Pull request triggers fetch `refs/pull/<n>/head` from the base repository (works for forks).
 * - Fork pull requests are flagged `fromFork`; a deleted head repository counts as a fork.
 * - Skip markers apply to pushes only: pull request payloads carry no commit message.
 * - Clone URLs must be http(s), so git never sees file:// or ext:: URLs from a payload.
 */
export { verifyGitHubSignature, parseSignatureHeader, signGitHubBody, SIGNATURE_HEADER } from './signature.js';
export type { SignatureCheck, SignatureProblem, ParsedSignature } from './signature.js';
export { readDeliveryHeaders } from './delivery-headers.js';
export type {
  BodyEncoding,
  DeliveryHeaders,
  DeliveryHeadersResult,
  HeaderBag,
  HeaderProblem,
} from './delivery-headers.js';
export { decodeDeliveryBody, type DecodedBody } from './delivery-body.js';
export { interpretDelivery } from './interpret-delivery.js';
export { findSkipMarker } from './skip-ci.js';
export { ZERO_SHA } from './push.js';
export { DELIVERY_OUTCOME_KINDS } from './outcome.js';
export type * from './outcome.js';
