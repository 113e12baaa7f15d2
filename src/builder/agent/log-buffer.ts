/**
 * Bounds the output a job holds in the agent's memory while the services box has not acknowledged
 * it, by slowing the job rather than losing output: every byte goes on to the chunker, and once
 * more than `capBytes` are held, {@link LogBuffer.room} tells the reader of the step's output to
 * stop until acknowledgements bring the held bytes down to half the cap. A paused reader leaves the
 * step's process blocked on its full stdout pipe, as a terminal that cannot keep up would; a long
 * outage of the services box thus holds the job, never the builder's memory, and the stored log
 * holds every byte.
 */

/** Where held output goes: the job's chunker. */
export interface LogSink {
  write(step: number, data: Buffer): void;
}

/**
 * @default for {@link LogBuffer}: several protocol chunks (256 KiB each) in flight keep the writes
 * busy, while a job that prints faster than the services box stores costs at most this.
 */
export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export class LogBuffer {
  private held = 0;
  private released = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly sink: LogSink,
    private readonly capBytes: number = DEFAULT_LOG_BUFFER_BYTES,
  ) {}

  /** Output of `step`, passed on at once; callers that can wait ask {@link room} afterwards. */
  write(step: number, data: Buffer): void {
    this.held += data.length;
    this.sink.write(step, data);
  }

  /**
   * Undefined while the buffer has room; otherwise resolves once acknowledgements brought the held
   * bytes down to half the cap (so a reader resumes for a while, not for one chunk), or on
   * {@link release}.
   */
  room(): Promise<void> | undefined {
    if (this.released || this.held <= this.capBytes) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The services box acknowledged `bytes` of held output. */
  acknowledged(bytes: number): void {
    this.held -= bytes;
    if (this.held <= this.capBytes / 2) this.wake();
  }

  /**
   * No acknowledgement will come any more (the session gave up on its writes): readers go on, so
   * that killed steps can end, and nothing waits from now on.
   */
  release(): void {
    this.released = true;
    this.wake();
  }

  /** Bytes given to the sink and not yet acknowledged. */
  get heldBytes(): number {
    return this.held;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
