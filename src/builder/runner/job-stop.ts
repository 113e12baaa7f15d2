/**
 * Stopping a running job, for a cancel or the job's time limit: SIGTERM to every process of the
 * job, then, once none is left or after a grace period, SIGKILL to every process of the primary
 * container. A job whose processes end on SIGTERM stops at once; one that cleans up on SIGTERM
 * gets the grace period, with its output still flowing (the `setsid -w` holding each step's
 * output stream is spared). The keep-alive init survives, and the containers are removed by the
 * cleanup that follows.
 */
import { messageOf } from '../../shared/errors.js';
import { statusCodeOf, type JobBackend } from '../../docker/index.js';
import { formatDuration } from '../../shared/durations.js';
import { KILL_ALL_ARGV, signalJobProcessesArgv } from './shell.js';

export const DEFAULT_KILL_GRACE_MS = 10_000;
/** How often a stop looks for processes left during the grace period. */
const STOP_POLL_MS = 250;

/** Why a job was stopped before its steps were done. */
export type StopReason = 'canceled' | 'timeout';

/** Watches the cancel signal and the time limit, and stops the primary's processes once. */
export class JobStop {
  reason: StopReason | undefined;
  private primary: string | undefined;
  private killing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.stop('canceled');

  constructor(
    private readonly backend: JobBackend,
    private readonly options: {
      readonly signal?: AbortSignal;
      readonly jobTimeoutMs?: number;
      readonly killGraceMs?: number;
    },
    private readonly log: (line: string) => void,
    /** Called once, as the job starts stopping. */
    private readonly onStop: () => void = () => undefined,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.jobTimeoutMs !== undefined) this.timer = setTimeout(() => this.stop('timeout'), options.jobTimeoutMs);
    if (options.signal?.aborted) {
      this.reason = 'canceled';
      onStop();
    }
  }

  /** The container to stop (its id), once it exists. */
  attach(primary: string): void {
    this.primary = primary;
  }

  /** Stops the job; later calls do nothing. */
  stop(reason: StopReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.onStop();
    this.log(
      reason === 'canceled'
        ? 'Job canceled: stopping its processes'
        : `Job exceeded its time limit of ${formatDuration(this.options.jobTimeoutMs ?? 0)}: stopping its processes`,
    );
    this.killing = this.killProcesses();
  }

  /** Waits for a stop in progress and releases the timer and the signal listener. */
  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await this.killing;
  }

  private async killProcesses(): Promise<void> {
    const container = this.primary;
    if (container === undefined) return;
    const graceMs = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    await this.signal(container, signalJobProcessesArgv('TERM'), "SIGTERM to the job's processes");
    const deadline = Date.now() + graceMs;
    while (await this.anyProcessLeft(container)) {
      if (Date.now() >= deadline) {
        this.log(`Processes still running ${formatDuration(graceMs)} after SIGTERM: sending SIGKILL`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(STOP_POLL_MS, deadline - Date.now())));
    }
    if (Date.now() < deadline) this.log('Every process of the job ended after SIGTERM');
    // Whatever left the steps' sessions goes too.
    await this.signal(container, KILL_ALL_ARGV, "SIGKILL to the job's processes");
  }

  /**
   * When the check itself fails, processes are assumed left, so the grace period and SIGKILL
   * still apply; a container that is gone or stopped (404, 409) has none left.
   */
  private async anyProcessLeft(container: string): Promise<boolean> {
    try {
      return (await this.backend.exec(container, { cmd: signalJobProcessesArgv('0') })) === 0;
    } catch (error) {
      const status = statusCodeOf(error);
      return status !== 404 && status !== 409;
    }
  }

  /** A failed kill is logged, not thrown: the container removal that follows ends everything anyway. */
  private async signal(container: string, cmd: readonly string[], what: string): Promise<void> {
    try {
      await this.backend.exec(container, { cmd });
    } catch (error) {
      this.log(`Could not send ${what}: ${messageOf(error)}`);
    }
  }
}
