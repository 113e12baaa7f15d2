import { describe, expect, it } from '@jest/globals';
import {
  completeUtf8Length,
  formatLogEvent,
  formatSseEvent,
  parseLastEventId,
} from '../../../../../src/services/core/logs/sse-format.js';

describe('formatLogEvent', () => {
  it('sends text as JSON with its start offset and the offset after it as id', () => {
    expect(formatLogEvent(Buffer.from('a\nb'), 10)).toBe('id: 13\nevent: log\ndata: {"text":"a\\nb","offset":10}\n\n');
  });

  it('leaves the id out of events that cannot be resumed from', () => {
    expect(formatSseEvent('end', { offset: 3 })).toBe('event: end\ndata: {"offset":3}\n\n');
  });
});

describe('parseLastEventId', () => {
  it('reads a byte offset and falls back to 0 for anything else', () => {
    expect(parseLastEventId('1234')).toBe(1234);
    expect(parseLastEventId(['7'])).toBe(7);
    expect(parseLastEventId(undefined)).toBe(0);
    expect(parseLastEventId('-1')).toBe(0);
    expect(parseLastEventId('abc')).toBe(0);
  });
});

describe('completeUtf8Length', () => {
  const check = Buffer.from('ok ✓', 'utf8');

  it('keeps whole characters and holds back a character cut short', () => {
    expect(completeUtf8Length(check)).toBe(check.length);
    expect(completeUtf8Length(check.subarray(0, -1))).toBe(3);
    expect(completeUtf8Length(check.subarray(0, -2))).toBe(3);
    expect(completeUtf8Length(Buffer.from('é', 'utf8').subarray(0, 1))).toBe(0);
    expect(completeUtf8Length(Buffer.from('😀', 'utf8').subarray(0, 3))).toBe(0);
  });

  it('lets bytes that are not UTF-8 through', () => {
    expect(completeUtf8Length(Buffer.from([0x80, 0x80, 0x80, 0x80]))).toBe(4);
    expect(completeUtf8Length(Buffer.alloc(0))).toBe(0);
  });
});
