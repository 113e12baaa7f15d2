import { describe, expect, it } from '@jest/globals';
import { LogBuffer } from '../../../../src/builder/agent/log-buffer.js';

function recorder() {
  const writes: { step: number; text: string }[] = [];
  return { writes, sink: { write: (step: number, data: Buffer) => writes.push({ step, text: data.toString() }) } };
}

/** Whether `promise` settled by the end of this turn of the event loop. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('LogBuffer', () => {
  it('passes every byte on, beyond the cap too, and counts what is held', () => {
    const { writes, sink } = recorder();
    const buffer = new LogBuffer(sink, 10);
    buffer.write(1, Buffer.from('12345'));
    buffer.write(1, Buffer.from('67890'));
    buffer.write(2, Buffer.from('abc'));
    expect(writes).toEqual([
      { step: 1, text: '12345' },
      { step: 1, text: '67890' },
      { step: 2, text: 'abc' },
    ]);
    expect(buffer.heldBytes).toBe(13);
  });

  it('has room up to the cap, and beyond it promises room once acknowledgements reach half the cap', async () => {
    const buffer = new LogBuffer(recorder().sink, 10);
    buffer.write(1, Buffer.from('1234567890'));
    expect(buffer.room()).toBeUndefined();
    buffer.write(1, Buffer.from('x'));
    const room = buffer.room()!;
    expect(room).toBeInstanceOf(Promise);
    buffer.acknowledged(5);
    expect(await settled(room)).toBe(false);
    buffer.acknowledged(1);
    expect(await settled(room)).toBe(true);
    expect(buffer.room()).toBeUndefined();
  });

  it('lets every waiting reader go when released, and keeps no one waiting afterwards', async () => {
    const buffer = new LogBuffer(recorder().sink, 4);
    buffer.write(1, Buffer.from('full!'));
    const first = buffer.room()!;
    const second = buffer.room()!;
    buffer.release();
    expect([await settled(first), await settled(second)]).toEqual([true, true]);
    buffer.write(1, Buffer.from('more'));
    expect(buffer.room()).toBeUndefined();
  });
});
