/**
 * Bounds the output a job holds in the agent's memory while the services box does not
 * acknowledge it. Output keeps flowing into the chunker until `capBytes` are held; beyond that it
 * is dropped and counted per step, and the step's log gets a line saying how much is missing as
 * soon as there is room again (or when the step ends), so a long outage costs a gap that the log
 * shows, never the builder's memory.
 */
import { formatByteSize } from '../../shared/byte-size.js';

/** Where held output goes: the job's chunker. */
export interface LogSink {
  write(step: number, data: Buffer): void;
}

/**
 * @default for {@link LogBuffer}: the default of the log store's cap per attempt (GYRE_JOB_LOG_MAX_SIZE),
 * though a services box may keep more; past it, output is dropped while unacknowledged, not slowed.
 */
export const DEFAULT_LOG_BUFFER_BYTES = 64 * 1024 * 1024;

export class LogBuffer {
  private held = 0;
  private readonly dropped = new Map<number, number>();

  constructor(
    private readonly sink: LogSink,
    private readonly capBytes: number = DEFAULT_LOG_BUFFER_BYTES,
  ) {}

  /** Output of `step`; dropped (and counted) while the buffer is full. */
  write(step: number, data: Buffer): void {
    if (this.held + data.length > this.capBytes) {
      this.dropped.set(step, (this.dropped.get(step) ?? 0) + data.length);
      return;
    }
    this.reportDrops(step);
    this.pass(step, data);
  }

  /** The services box acknowledged `bytes` of held output. */
  acknowledged(bytes: number): void {
    this.held -= bytes;
  }

  /** Writes the "output dropped" line of `step` now (its end), whether or not there is room. */
  endStep(step: number): void {
    this.reportDrops(step);
  }

  /** Writes every step's "output dropped" line now: the job is over. */
  end(): void {
    for (const step of [...this.dropped.keys()]) this.reportDrops(step);
  }

  /** Bytes given to the sink and not yet acknowledged. */
  get heldBytes(): number {
    return this.held;
  }

  private reportDrops(step: number): void {
    const bytes = this.dropped.get(step);
    if (bytes === undefined) return;
    this.dropped.delete(step);
    const line = `\n[gyre] ${formatByteSize(bytes)} of this step's output was dropped: the services box did not acknowledge output for a while and the builder holds at most ${formatByteSize(this.capBytes)}.\n`;
    this.pass(step, Buffer.from(line));
  }

  private pass(step: number, data: Buffer): void {
    this.held += data.length;
    this.sink.write(step, data);
  }
}
