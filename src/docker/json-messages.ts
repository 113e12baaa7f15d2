/**
 * The engine's streamed JSON messages (build, import, load): one JSON object per line.
 * Errors arrive inside a 200 response as `{"error": ...}`, so they must be read from the stream.
 */
import type { Readable } from 'node:stream';

/** One message of a streamed engine response. */
export interface JsonMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly id?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string };
}

/** Splits buffered text into complete lines and the unfinished rest. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  const parts = buffer.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== ''), rest };
}

/** Parses one line; text that is not JSON (some engines interleave it) becomes a stream message. */
export function parseJsonMessage(line: string): JsonMessage {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? parsed : { stream: line };
  } catch (error) {
    if (error instanceof SyntaxError) return { stream: line };
    throw error;
  }
}

/** The human-readable lines of a message, without the engine's trailing newlines. */
export function messageText(message: JsonMessage): string | undefined {
  const text =
    message.stream ??
    (message.status ? [message.id, message.status, message.progress].filter(Boolean).join(' ') : undefined);
  // Build output relays the container's terminal colours (stderr is shown in red); logs want plain text.
  // eslint-disable-next-line no-control-regex
  const trimmed = text?.replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+$/, '');
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The error a message reports, if any. */
export function messageError(message: JsonMessage): string | undefined {
  return message.errorDetail?.message ?? message.error;
}

/** Reads a whole response stream, calling `onMessage` for each message in order. */
export async function readJsonMessages(
  stream: Readable,
  onMessage: (message: JsonMessage) => void,
): Promise<JsonMessage[]> {
  const messages: JsonMessage[] = [];
  let buffer = '';
  for await (const chunk of stream) {
    buffer += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const { lines, rest } = splitLines(buffer);
    buffer = rest;
    for (const line of lines) record(parseJsonMessage(line));
  }
  if (buffer.trim() !== '') record(parseJsonMessage(buffer));
  return messages;

  function record(message: JsonMessage): void {
    messages.push(message);
    onMessage(message);
  }
}
