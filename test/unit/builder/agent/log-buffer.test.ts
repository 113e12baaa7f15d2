import { describe, expect, it } from '@jest/globals';
import { LogBuffer } from '../../../../src/builder/agent/log-buffer.js';

function recorder() {
  const writes: { step: number; text: string }[] = [];
  return { writes, sink: { write: (step: number, data: Buffer) => writes.push({ step, text: data.toString() }) } };
}

describe('LogBuffer', () => {
  it('passes output through while the held bytes stay within the cap', () => {
    const { writes, sink } = recorder();
    const buffer = new LogBuffer(sink, 10);
    buffer.write(1, Buffer.from('12345'));
    buffer.write(1, Buffer.from('67890'));
    expect(writes.map((w) => w.text)).toEqual(['12345', '67890']);
    expect(buffer.heldBytes).toBe(10);
  });

  it('drops output beyond the cap and says how much, at the step, once acknowledgements make room', () => {
    const { writes, sink } = recorder();
    const buffer = new LogBuffer(sink, 10);
    buffer.write(1, Buffer.from('12345678'));
    buffer.write(1, Buffer.from('abc'));
    buffer.write(1, Buffer.from('defg'));
    expect(writes).toHaveLength(1);
    buffer.acknowledged(8);
    buffer.write(1, Buffer.from('next'));
    expect(writes.map((w) => w.text)).toEqual([
      '12345678',
      expect.stringContaining("[gyre] 7 bytes of this step's output was dropped"),
      'next',
    ]);
    expect(writes[1]!.text).toContain('holds at most 10 bytes');
    expect(buffer.heldBytes).toBe(writes[1]!.text.length + 4);
  });

  it("reports a step's drops when the step ends, and every remaining one when the job ends", () => {
    const { writes, sink } = recorder();
    const buffer = new LogBuffer(sink, 4);
    buffer.write(1, Buffer.from('full'));
    buffer.write(1, Buffer.from('lost'));
    buffer.write(0, Buffer.from('setup'));
    buffer.endStep(1);
    expect(writes.map((w) => w.step)).toEqual([1, 1]);
    expect(writes[1]!.text).toContain('4 bytes');
    buffer.end();
    expect(writes.map((w) => w.step)).toEqual([1, 1, 0]);
    expect(writes[2]!.text).toContain('5 bytes');
    buffer.end();
    expect(writes).toHaveLength(3);
  });
});
