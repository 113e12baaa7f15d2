/**
 * The text of the live log stream (Server-Sent Events). Each `log` event's data is JSON
 * `{ "text": "...", "offset": n }`: `text` is the next piece of the log as UTF-8 text and
 * `offset` the byte offset in the attempt's log where it starts. The event id is the byte
 * offset after it, so `Last-Event-ID` resumes exactly there. An `end` event
 * (`{ "offset": n }`, n being the bytes sent) says the job finished and nothing more will come;
 * the client should close then, since EventSource reconnects otherwise. An `error` event
 * (`{ "message": "..." }`) precedes a close by the server; a client may reconnect.
 */

/** A comment line, which every SSE client ignores but which keeps proxies from closing an idle stream. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** One SSE event. Data is JSON, so it never holds a line break that would split it. */
export function formatSseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A `log` event for `text` (whole UTF-8 characters) starting at byte `offset`. */
export function formatLogEvent(text: Buffer, offset: number): string {
  return formatSseEvent('log', { text: text.toString('utf8'), offset }, offset + text.length);
}

/**
 * The byte offset to resume from: the `Last-Event-ID` header when it is a byte offset, else 0
 * (a reader that sends something else gets the whole log again rather than an error).
 */
export function parseLastEventId(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return 0;
  return Number(value.trim());
}

/**
 * How many leading bytes of `bytes` are whole UTF-8 characters. A chunk may end inside a
 * character; the rest waits for the next chunk so that no event carries half a character.
 * Bytes that are not valid UTF-8 are let through (they become U+FFFD).
 */
export function completeUtf8Length(bytes: Buffer): number {
  // A character is at most 4 bytes, so only the last 3 can start an unfinished one.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
