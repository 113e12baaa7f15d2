/**
 * Tells a long-running handler (a long-poll, a stream) that its client went away.
 *
 * Why not `request.raw.destroyed`: Node destroys an `IncomingMessage` shortly after its body has
 * been read, while the client still waits on an open socket, so that flag turns true about 20 ms
 * into every request with a body. What does mean "gone" is the response closing before it was
 * sent: the `close` event of `reply.raw` fires once the connection ends, or once the response is
 * complete, and only the first of these can come while the handler still waits.
 */
import type { ServerResponse } from 'node:http';

/** An AbortSignal that aborts when the connection of `response` closes before the response is written. */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const gone = new AbortController();
  if (response.writableEnded) return gone.signal;
  if (response.socket === null || response.socket.destroyed) {
    gone.abort(new Error('the client closed the connection'));
    return gone.signal;
  }
  response.once('close', () => {
    if (!response.writableFinished) gone.abort(new Error('the client closed the connection'));
  });
  return gone.signal;
}
