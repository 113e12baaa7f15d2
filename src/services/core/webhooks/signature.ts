/**
 * GitHub webhook signatures: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * The check runs on the exact bytes received, before any parsing, because re-serialised JSON
 * would not reproduce GitHub's bytes and parsing unauthenticated input is work an attacker picks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header GitHub signs deliveries with (SHA-256). */
export const SIGNATURE_HEADER = 'X-Hub-Signature-256';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Why a signature was refused; the HTTP layer answers 401 for all of them. */
export type SignatureProblem = 'missing' | 'malformed' | 'mismatch' | 'no-secret';

/** The result of checking a delivery's signature. `message` names the header and says how to fix it. */
export type SignatureCheck =
  { readonly ok: true } | { readonly ok: false; readonly problem: SignatureProblem; readonly message: string };

/** A signature header split into its digest, or the reason it cannot be read. */
export type ParsedSignature =
  | { readonly ok: true; readonly digest: Buffer }
  | { readonly ok: false; readonly problem: 'missing' | 'malformed'; readonly message: string };

/**
 * Checks `X-Hub-Signature-256` against HMAC-SHA256(secret, rawBody) in constant time.
 * Never throws, whatever the bytes or the header hold.
 *
 * @param rawBody the request body exactly as received, before any decoding
 * @param header the `X-Hub-Signature-256` value, or undefined when the request had none
 * @param secret the project's webhook secret (the one entered in GitHub's webhook settings)
 */
export function verifyGitHubSignature(rawBody: Buffer, header: string | undefined, secret: string): SignatureCheck {
  if (secret.length === 0) {
    // An empty key makes every signature forgeable, so refuse rather than "verify".
    return refuse(
      'no-secret',
      'the project has no webhook secret, so no delivery can be authenticated; generate one and enter it in the GitHub webhook settings',
    );
  }
  const parsed = parseSignatureHeader(header);
  if (!parsed.ok) return parsed;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // timingSafeEqual throws on unequal lengths; the parser already pins the length, this keeps it total.
  if (parsed.digest.length !== expected.length || !timingSafeEqual(parsed.digest, expected)) {
    return refuse(
      'mismatch',
      `${SIGNATURE_HEADER} does not match the body: the secret in the GitHub webhook settings differs from the project's webhook secret in Gyre, or something between GitHub and Gyre changed the body`,
    );
  }
  return { ok: true };
}

/**
 * Reads a `sha256=<64 hex digits>` header value. Shared by {@link verifyGitHubSignature} and the
 * header reader so both describe a bad header in the same words.
 */
export function parseSignatureHeader(header: string | undefined): ParsedSignature {
  if (header === undefined || header.trim() === '') {
    return refuse(
      'missing',
      `${SIGNATURE_HEADER} header is missing: set a secret in the GitHub webhook settings so GitHub signs every delivery`,
    );
  }
  const value = header.trim();
  const separator = value.indexOf('=');
  const algorithm = separator === -1 ? '' : value.slice(0, separator).toLowerCase();
  const digest = value.slice(separator + 1);
  if (algorithm === 'sha1') {
    return refuse(
      'malformed',
      `${SIGNATURE_HEADER} holds a SHA-1 signature (sha1=...); expected sha256=<64 hex digits>. Gyre accepts only SHA-256 signatures, which GitHub sends in ${SIGNATURE_HEADER}`,
    );
  }
  if (algorithm !== 'sha256') {
    return refuse(
      'malformed',
      `${SIGNATURE_HEADER} must look like sha256=<64 hex digits>; the value does not start with sha256=`,
    );
  }
  if (!SHA256_HEX.test(digest)) {
    const found =
      digest.length === 64 ? 'contains characters that are not hexadecimal' : `is ${digest.length} characters long`;
    return refuse(
      'malformed',
      `${SIGNATURE_HEADER} must look like sha256=<64 hex digits>; the part after sha256= ${found}`,
    );
  }
  return { ok: true, digest: Buffer.from(digest, 'hex') };
}

/**
 * Computes the `X-Hub-Signature-256` value GitHub would send for this body and secret.
 * For tests, redelivery tools and anyone simulating GitHub.
 */
export function signGitHubBody(rawBody: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

function refuse<P extends SignatureProblem>(
  problem: P,
  message: string,
): { readonly ok: false; readonly problem: P; readonly message: string } {
  return { ok: false, problem, message };
}
