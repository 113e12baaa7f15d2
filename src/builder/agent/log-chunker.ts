/**
 * Turns the runner's output into the protocol's log chunks: per step, numbered 0, 1, 2, ...
 * without gaps. Output is gathered for a short moment (or up to a size) before it becomes a
 * chunk, so a chatty step costs a few requests a second rather than one per line.
 */

/** One chunk, ready to send. */
export interface LogChunk {
  readonly step: number;
  readonly seq: number;
  readonly data: Buffer;
}

export interface LogChunkerOptions {
  /** How long output waits for more before it is sent. @default 200 */
  readonly delayMs?: number;
  /** A chunk is sent at once when it reaches this size. @default 256 KiB (the protocol allows 1 MiB) */
  readonly maxBytes?: number;
}

export class LogChunker {
  private readonly open = new Map<number, Buffer[]>();
  private readonly openBytes = new Map<number, number>();
  private readonly nextSeq = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly delayMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly emit: (chunk: LogChunk) => void,
    options: LogChunkerOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 200;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
  }

  write(step: number, data: Buffer): void {
    for (let offset = 0; offset < data.length;) {
      const room = this.maxBytes - (this.openBytes.get(step) ?? 0);
      const piece = data.subarray(offset, offset + room);
      offset += piece.length;
      const parts = this.open.get(step);
      if (parts) parts.push(piece);
      else this.open.set(step, [piece]);
      this.openBytes.set(step, (this.openBytes.get(step) ?? 0) + piece.length);
      if (this.openBytes.get(step) === this.maxBytes) this.seal(step);
    }
    if (this.open.size > 0) this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Turns everything gathered into chunks now, steps in the order they first wrote. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const step of [...this.open.keys()]) this.seal(step);
  }

  private seal(step: number): void {
    const parts = this.open.get(step);
    if (!parts) return;
    this.open.delete(step);
    this.openBytes.delete(step);
    const seq = this.nextSeq.get(step) ?? 0;
    this.nextSeq.set(step, seq + 1);
    this.emit({ step, seq, data: Buffer.concat(parts) });
  }
}
