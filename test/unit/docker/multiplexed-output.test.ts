import { describe, expect, it } from '@jest/globals';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultiplexedOutput } from '../../../src/docker/multiplexed-output.js';

/** One frame as the engine sends it: stream id, three zero bytes, the size, the payload. */
function frame(stream: 0 | 1 | 2 | 3, payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Feeds `chunks` through the transform; resolves to stdout and the stderr pieces. */
async function demux(chunks: Buffer[], beforeEnd?: () => Promise<void>): Promise<{ stdout: string; stderr: string[] }> {
  const stderr: string[] = [];
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new MultiplexedOutput({ onStderr: (data) => stderr.push(data.toString()), ...(beforeEnd && { beforeEnd }) }),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return { stdout: Buffer.concat(out).toString(), stderr };
}

describe('MultiplexedOutput', () => {
  it('passes stdout on and stderr to its callback, frame by frame', async () => {
    expect(await demux([frame(1, 'tar '), frame(2, 'tar: warning\n'), frame(1, 'bytes')])).toEqual({
      stdout: 'tar bytes',
      stderr: ['tar: warning\n'],
    });
  });

  it('reads frames split anywhere, headers included, and several frames in one chunk', async () => {
    const all = Buffer.concat([frame(1, 'abc'), frame(2, 'err'), frame(1, 'defgh')]);
    const oneByOne = [...all].map((byte) => Buffer.from([byte]));
    expect(await demux(oneByOne)).toEqual({ stdout: 'abcdefgh', stderr: ['e', 'r', 'r'] });
    expect(await demux([all])).toEqual({ stdout: 'abcdefgh', stderr: ['err'] });
  });

  it('keeps binary payloads as they are, empty frames included', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([frame(1, bytes), frame(1, Buffer.alloc(0))]),
      new MultiplexedOutput({ onStderr: () => undefined }),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          out.push(chunk);
          done();
        },
      }),
    );
    expect(Buffer.concat(out)).toEqual(bytes);
  });

  it('fails when the output ends in the middle of a frame', async () => {
    const cut = frame(1, 'whole payload').subarray(0, 12);
    await expect(demux([cut])).rejects.toThrow('the container output ended in the middle of a frame');
  });

  it('ends only once beforeEnd resolves, and fails with its rejection', async () => {
    const order: string[] = [];
    await demux([frame(1, 'x')], async () => {
      order.push('checked');
      await Promise.resolve();
    });
    order.push('ended');
    expect(order).toEqual(['checked', 'ended']);
    await expect(
      demux([frame(1, 'x')], () => Promise.reject(new Error('the helper container exited with code 2'))),
    ).rejects.toThrow('exited with code 2');
  });

  it("fails on the engine's own error frame, and drops stdin frames", async () => {
    expect(await demux([frame(0, 'echoed stdin'), frame(1, 'out')])).toEqual({ stdout: 'out', stderr: [] });
    await expect(demux([frame(1, 'out'), frame(3, 'copy failed')])).rejects.toThrow(
      "the engine reported an error in the container's output: copy failed",
    );
  });
});
