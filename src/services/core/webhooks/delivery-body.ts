/**
 * Turns a delivery's bytes into a JSON value, after the signature has been verified on those bytes.
 */
import { isUtf8 } from 'node:buffer';
import type { BodyEncoding } from './delivery-headers.js';

/** The decoded body, or a 400-worthy message saying why it could not be read. */
export type DecodedBody =
  { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly message: string };

/**
 * Decodes a delivery body: UTF-8 JSON for `application/json`, or the JSON in the `payload` field of
 * an `application/x-www-form-urlencoded` body. Never throws on bad input.
 */
export function decodeDeliveryBody(rawBody: Buffer, encoding: BodyEncoding): DecodedBody {
  const text = decodeUtf8(rawBody);
  if (text === undefined) return { ok: false, message: 'the body is not valid UTF-8; GitHub sends UTF-8 JSON' };
  if (encoding === 'json') return parseJson(text, 'the body');
  const payload = new URLSearchParams(text).get('payload');
  if (payload === null) {
    return {
      ok: false,
      message:
        'the form-encoded body has no payload field; choose application/json as the "Content type" in the GitHub webhook settings',
    };
  }
  return parseJson(payload, 'the payload field');
}

function decodeUtf8(bytes: Buffer): string | undefined {
  // Checked up front: toString('utf8') would silently turn bad bytes into U+FFFD.
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

function parseJson(text: string, what: string): DecodedBody {
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (error) {
    // JSON.parse reports bad input only by throwing SyntaxError; anything else is a real fault.
    if (error instanceof SyntaxError) return { ok: false, message: `${what} is not valid JSON: ${error.message}` };
    throw error;
  }
}
