import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { messageError, messageText, readJsonMessages, splitLines } from '../../../src/docker/json-messages.js';

describe('engine JSON message streams', () => {
  it('keeps a message that is split across chunks until its line is complete', () => {
    expect(splitLines('{"stream":"a"}\n{"stre')).toEqual({ lines: ['{"stream":"a"}'], rest: '{"stre' });
  });

  it('reads every message of a build, including the image id and the error', async () => {
    const chunks = [
      '{"stream":"Step 1/2 : FROM x\\n"}\r\n{"aux":{"ID":"sha',
      '256:abc"}}\n',
      '{"errorDetail":{"message":"boom"},"error":"boom"}',
    ];
    const seen: string[] = [];
    const messages = await readJsonMessages(Readable.from(chunks), (m) => seen.push(messageText(m) ?? '-'));
    expect(messages.map((m) => m.aux?.ID).filter(Boolean)).toEqual(['sha256:abc']);
    expect(seen).toEqual(['Step 1/2 : FROM x', '-', '-']);
    expect(messages.map(messageError).filter(Boolean)).toEqual(['boom']);
  });

  it('shows pull and load status lines with their layer id', () => {
    expect(messageText({ id: 'abc123', status: 'Downloading', progress: '[==> ]' })).toBe('abc123 Downloading [==> ]');
    expect(messageText({ stream: 'Loaded image: gyre/app:0.1.0\n' })).toBe('Loaded image: gyre/app:0.1.0');
  });

  it("removes the terminal colours the engine relays from a build's stderr", () => {
    expect(messageText({ stream: '\u001b[91mnpm warn deprecated\n\u001b[0m' })).toBe('npm warn deprecated');
  });

  it('treats a line that is not JSON as text rather than failing the operation', async () => {
    const messages = await readJsonMessages(Readable.from(['plain text\n']), () => undefined);
    expect(messages).toEqual([{ stream: 'plain text' }]);
  });
});
