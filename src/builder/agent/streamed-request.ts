/**
 * Sends a request body as a stream, with backpressure, holding only what is in flight. The
 * agent's uploads (caches, workspace layers, artifacts: gigabytes) cannot go through `fetch`:
 * undici's fetch keeps every chunk of a streamed request body until the request ends
 * (nodejs/undici#4058), so a 2 GiB artifact grew the agent by 2 GiB. node:http does not.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The answer to a streamed request: its status and (the start of) its body as text. */
export interface StreamedAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * How long the other side may take no bytes and send no answer before the upload is given up;
 * a slow upload that moves is never cut short.
 */
const IDLE_TIMEOUT_MS = 120_000;
/** Answers to uploads are small JSON; more than this is kept no further (an error page, say). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Sends `body` (or nothing) to `url` and answers the status and text of the reply. Rejects when
 * the request cannot be sent or the body fails to read; the caller names the other side.
 */
export async function sendStreamed(
  url: string,
  options: { method: 'PUT'; headers: Readonly<Record<string, string>>; body?: Readable | undefined },
): Promise<StreamedAnswer> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  const request = send(url, { method: options.method, headers: options.headers });
  request.setTimeout(IDLE_TIMEOUT_MS, () =>
    request.destroy(new Error(`no progress for ${IDLE_TIMEOUT_MS / 1000} s (nothing taken, no answer)`)),
  );
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    // The body's own failure is the story: the request's error that follows it is "socket hang up".
    let bodyError: Error | undefined;
    options.body?.once('error', (error: Error) => (bodyError = error));
    request.once('response', resolve);
    // `on`, not `once`: a request can fail more than once (the body, then the socket).
    request.on('error', (error) => reject(bodyError ?? error));
    // An answer that comes before the whole body was sent (a refusal) is the answer, and the
    // failure to send the rest is not; a failure before any answer rejects through the request.
    if (options.body) pipeline(options.body, request).catch(() => undefined);
    else request.end();
  });
  return { status: response.statusCode ?? 0, text: await textOf(response) };
}

async function textOf(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (kept >= MAX_ANSWER_BYTES) continue;
    chunks.push(chunk);
    kept += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}
