/**
 * Stopping a running job, for a cancel or the job's time limit: SIGTERM to every process of the
 * primary container, then SIGKILL after a grace period. The keep-alive init survives, and the
 * containers are removed by the cleanup that follows.
 */
import type Dockerode from 'dockerode';
import { formatDuration } from '../../shared/durations.js';
import { execInContainer } from './exec.js';
import { killAllArgv } from './shell.js';

export const DEFAULT_KILL_GRACE_MS = 10_000;

/** Why a job was stopped before its steps were done. */
export type StopReason = 'canceled' | 'timeout';

/** Watches the cancel signal and the time limit, and stops the primary's processes once. */
export class JobStop {
  reason: StopReason | undefined;
  private primary: Dockerode.Container | undefined;
  private killing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.stop('canceled');

  constructor(
    private readonly options: { readonly signal?: AbortSignal; readonly jobTimeoutMs?: number; readonly killGraceMs?: number },
    private readonly log: (line: string) => void,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.jobTimeoutMs !== undefined) this.timer = setTimeout(() => this.stop('timeout'), options.jobTimeoutMs);
    if (options.signal?.aborted) this.reason = 'canceled';
  }

  /** The container to stop, once it exists. */
  attach(primary: Dockerode.Container): void {
    this.primary = primary;
  }

  /** Stops the job; later calls do nothing. */
  stop(reason: StopReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.log(reason === 'canceled' ? 'Job canceled: stopping its processes' : `Job exceeded its time limit of ${formatDuration(this.options.jobTimeoutMs ?? 0)}: stopping its processes`);
    this.killing = this.killProcesses();
  }

  /** Waits for a stop in progress and releases the timer and the signal listener. */
  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await this.killing;
  }

  private async killProcesses(): Promise<void> {
    const primary = this.primary;
    if (primary === undefined) return;
    await this.signalAll(primary, 'TERM');
    await new Promise((resolve) => setTimeout(resolve, this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS));
    await this.signalAll(primary, 'KILL');
  }

  /** A failed kill is logged, not thrown: the container removal that follows ends everything anyway. */
  private async signalAll(primary: Dockerode.Container, signal: 'TERM' | 'KILL'): Promise<void> {
    try {
      await execInContainer(primary, { cmd: killAllArgv(signal) });
    } catch (error) {
      this.log(`Could not send SIG${signal} to the job's processes: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
