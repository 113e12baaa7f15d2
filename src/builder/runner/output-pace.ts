/**
 * Whether a step's output may wait for the sink's room (back-pressure, see RunnerSink.room): while
 * the job's steps run. Once the job stops (cancel, time limit) or its background steps are being
 * killed, waits end at once and no new ones start: killed processes must be able to end even while
 * the services box takes nothing, and what they print while they die is small.
 */
import type { RunnerSink } from './types.js';

export class OutputPace {
  private over = false;
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  /** After output went to `sink`: undefined to read on, or a promise to wait for first. */
  wait(sink: RunnerSink): Promise<void> | undefined {
    if (this.over) return undefined;
    const room = sink.room?.();
    return room && Promise.race([room, this.released]);
  }

  /** Ends every wait, now and later. */
  end(): void {
    this.over = true;
    this.release();
  }
}
