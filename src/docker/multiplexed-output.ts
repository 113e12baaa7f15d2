/**
 * The engine's multiplexed output of a container without a terminal: frames of an 8-byte header
 * (byte 0 the stream; bytes 4-7 the payload's size, big-endian) and the payload.
 * docker-modem's demuxer writes to its targets without waiting for them, so a fast container
 * and a slow reader would pile the difference up in memory; this transform passes stdout on at
 * its reader's pace instead, each piece of stderr to a callback, and fails on the engine's own
 * error frame (stream 3); frames of stdin (0) are never sent and are dropped.
 */
import { Transform, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 8;
const STDOUT = 1;
const STDERR = 2;
/** The engine's own error, in the middle of the output (a failed copy, say). */
const SYSTEM_ERROR = 3;

export interface MultiplexedOutputOptions {
  readonly onStderr: (data: Buffer) => void;
  /** Runs once the input ended, before stdout ends; a rejection fails the stream instead. */
  readonly beforeEnd?: () => Promise<void>;
}

export class MultiplexedOutput extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes left of the current frame's payload, and which stream it belongs to. */
  private left = 0;
  private stream = 0;

  constructor(private readonly options: MultiplexedOutputOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.left === 0) {
        if (data.length < HEADER_BYTES) {
          this.pending = data;
          break;
        }
        this.stream = data[0]!;
        this.left = data.readUInt32BE(4);
        data = data.subarray(HEADER_BYTES);
        continue;
      }
      const payload = data.subarray(0, this.left);
      this.left -= payload.length;
      data = data.subarray(payload.length);
      if (this.stream === STDOUT) this.push(payload);
      else if (this.stream === STDERR) this.options.onStderr(payload);
      else if (this.stream === SYSTEM_ERROR) {
        done(new Error(`the engine reported an error in the container's output: ${payload.toString('utf8')}`));
        return;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length > 0 || this.left > 0) {
      done(new Error('the container output ended in the middle of a frame'));
      return;
    }
    (this.options.beforeEnd?.() ?? Promise.resolve()).then(
      () => done(),
      (error: unknown) => done(error as Error),
    );
  }
}
