/**
 * The commit status poster: a background loop that sends the `commit_statuses` outbox to GitHub
 * (`POST {apiUrl}/repos/{owner}/{repo}/statuses/{sha}`, answered 201), outside any request or
 * transaction. Rows of one pipeline are posted strictly in order: a row waits while an earlier
 * one of its pipeline is neither posted nor abandoned. A failed post is retried with exponential
 * backoff; after `maxAttempts` (or at once, for an answer that cannot change) the row is
 * abandoned with its last error. Rows are claimed with SKIP LOCKED and a claim deadline
 * (`next_attempt_at`), so several services processes can run the poster at once.
 */
import { messageWithCauseOf } from '../../../shared/errors.js';
import type { Logger } from 'pino';
import { gitHubMessage } from '../../core/github/github-message.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import type { Database } from '../../database/create-pool.js';
import type { ChangeSignal } from '../../database/notifications.js';
import { commitStatusEndpoint, isRetryable, pipelineUrl, retryDelayMs } from '../../core/github/commit-status.js';
import { parseRepositoryFullName } from '../../../shared/repository-name.js';

export interface StatusPosterOptions {
  /** How often the outbox is polled while notifications do not arrive. @default 1000 */
  readonly intervalMs?: number;
  /** The longest wait between passes while they do. @default 60000 */
  readonly idleMs?: number;
  /** Posts per row before it is abandoned. @default 12 (about 18 minutes of retries) */
  readonly maxAttempts?: number;
  /** The first retry delay; each next one doubles, up to 5 minutes. @default 1000 */
  readonly retryBaseMs?: number;
  /** How long one post may take. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Rows claimed per pass (at most one per pipeline). @default 20 */
  readonly batchSize?: number;
}

export interface StatusPosterDeps {
  readonly db: Database;
  readonly runtimeSettings: Pick<RuntimeSettings, 'statusTarget'>;
  /** GYRE_PUBLIC_URL, for the statuses' target URLs. */
  readonly publicUrl: string;
  /** Woken when statuses are queued. */
  readonly wakeups: Pick<ChangeSignal, 'wait' | 'mark' | 'listening'>;
  readonly logger: Logger;
}

interface ClaimedRow {
  id: string;
  pipeline_id: string;
  state: string;
  description: string;
  context: string;
  attempts: number;
  sha: string;
  repository: string | null;
}

/** A row of the outbox `c` that is neither posted nor abandoned, with no such row before it in its pipeline. */
const NEXT_OF_ITS_PIPELINE = `c.posted_at IS NULL AND c.abandoned_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM commit_statuses e WHERE e.pipeline_id = c.pipeline_id AND e.id < c.id AND e.posted_at IS NULL AND e.abandoned_at IS NULL)`;

/** The shortest pause between passes that claimed nothing. */
const MIN_WAIT_MS = 100;

type PostResult = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly retry: boolean };

export class StatusPoster {
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly requestTimeoutMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly deps: StatusPosterDeps,
    options: StatusPosterOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 12;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.batchSize = options.batchSize ?? 20;
  }

  /** Claims the rows that are due and posts them; returns how many were claimed. */
  async postDue(): Promise<number> {
    const target = await this.deps.runtimeSettings.statusTarget();
    if (!target) {
      // Rows are only queued while a token is set; these were queued before it was removed.
      const dropped = await this.deps.db.query(
        "UPDATE commit_statuses SET abandoned_at = now(), last_error = 'no status token is set in the admin console' WHERE posted_at IS NULL AND abandoned_at IS NULL",
      );
      if ((dropped.rowCount ?? 0) > 0)
        this.deps.logger.warn(
          { rows: dropped.rowCount },
          'abandoned queued commit statuses: the status token was removed',
        );
      return 0;
    }
    const claimed = await this.claim();
    await Promise.all(claimed.map((row) => this.postRow(row, target)));
    return claimed.length;
  }

  /**
   * Milliseconds until the earliest row that a claim could take is due (0 when one is due now);
   * undefined when none waits. Rows behind an earlier waiting row of their pipeline do not count.
   */
  async msUntilNextDue(): Promise<number | undefined> {
    // NULL when no row waits (not 0: PostgreSQL's greatest() would skip the NULL), so clamp here.
    const result = await this.deps.db.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(c.next_attempt_at) - now()) * 1000)::float8 AS ms FROM commit_statuses c WHERE ${NEXT_OF_ITS_PIPELINE}`,
    );
    const ms = result.rows[0]?.ms;
    return ms === null || ms === undefined ? undefined : Math.max(0, Math.ceil(ms));
  }

  /** Claims up to a batch of due rows, the oldest waiting row of each pipeline, counting the attempt. */
  private async claim(): Promise<ClaimedRow[]> {
    // The claim lasts past the request timeout; a process that dies mid-post leaves the row to be retried then.
    const claimSeconds = this.requestTimeoutMs / 1000 + 30;
    const result = await this.deps.db.query<ClaimedRow>(
      `WITH due AS (
         SELECT c.id FROM commit_statuses c
         WHERE ${NEXT_OF_ITS_PIPELINE} AND c.next_attempt_at <= now()
         ORDER BY c.id LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE commit_statuses c SET attempts = c.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision)
       FROM due, pipelines p WHERE c.id = due.id AND p.id = c.pipeline_id
       RETURNING c.id, c.pipeline_id, c.state, c.description, c.context, c.attempts, p.sha, c.repository`,
      [this.batchSize, claimSeconds],
    );
    return result.rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  private async postRow(row: ClaimedRow, target: { apiUrl: string; token: string }): Promise<void> {
    const pipelineId = Number(row.pipeline_id);
    const log = this.deps.logger.child({
      statusId: Number(row.id),
      pipelineId,
      repository: row.repository,
      sha: row.sha,
      context: row.context,
      state: row.state,
      attempt: row.attempts,
    });
    const repository = parseRepositoryFullName(row.repository ?? '');
    const result: PostResult = repository
      ? await this.send(commitStatusEndpoint(target.apiUrl, repository, row.sha), target.token, {
          state: row.state,
          target_url: pipelineUrl(this.deps.publicUrl, pipelineId),
          description: row.description,
          context: row.context,
        })
      : { ok: false, error: `"${row.repository ?? ''}" is not a GitHub repository name (owner/name)`, retry: false };
    try {
      if (result.ok) {
        await this.deps.db.query('UPDATE commit_statuses SET posted_at = now(), last_error = NULL WHERE id = $1', [
          row.id,
        ]);
        log.info('commit status posted');
      } else if (!result.retry || row.attempts >= this.maxAttempts) {
        await this.deps.db.query('UPDATE commit_statuses SET abandoned_at = now(), last_error = $2 WHERE id = $1', [
          row.id,
          result.error,
        ]);
        log.error(
          { error: result.error },
          result.retry
            ? `giving up on a commit status after ${row.attempts} attempts`
            : 'giving up on a commit status: GitHub refused it',
        );
      } else {
        const delayMs = retryDelayMs(row.attempts, this.retryBaseMs);
        await this.deps.db.query(
          'UPDATE commit_statuses SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), last_error = $3 WHERE id = $1',
          [row.id, delayMs, result.error],
        );
        log.warn({ error: result.error, retryInMs: delayMs }, 'posting a commit status failed; will retry');
      }
    } catch (error) {
      // The claim runs out and the row is posted again: GitHub keeps the latest status per context, so a repeat is harmless.
      log.error({ err: error }, 'could not record a commit status post; it will be retried');
    }
  }

  private async send(url: string, token: string, body: Record<string, string>): Promise<PostResult> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'user-agent': 'Gyre',
          'x-github-api-version': '2022-11-28',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      const text = await response.text();
      if (response.ok) return { ok: true };
      return {
        ok: false,
        error: `GitHub answered ${response.status}${gitHubMessage(text)}`,
        retry: isRetryable(response.status),
      };
    } catch (error) {
      return {
        ok: false,
        error: `could not reach GitHub at ${new URL(url).origin}: ${messageWithCauseOf(error)}`,
        retry: true,
      };
    }
  }
}

/**
 * Runs the poster until stopped: a pass whenever statuses are queued (a notification), when the
 * earliest retry is due, or at the latest every `idleMs`; passes repeat at once while rows keep
 * coming. While notifications do not arrive (the listening connection is down) it polls every
 * `intervalMs`. Failures are logged and retried.
 */
export function startStatusPoster(
  deps: StatusPosterDeps,
  options: StatusPosterOptions = {},
): { stop(): Promise<void> } {
  const poster = new StatusPoster(deps, options);
  const intervalMs = options.intervalMs ?? 1_000;
  const idleMs = options.idleMs ?? 60_000;
  let stopped = false;
  const run = async (): Promise<void> => {
    while (!stopped) {
      const mark = deps.wakeups.mark;
      let nextDueMs: number | undefined;
      try {
        let claimed: number;
        do claimed = await poster.postDue();
        while (!stopped && claimed > 0);
        nextDueMs = await poster.msUntilNextDue();
      } catch (error) {
        deps.logger.error({ err: error }, 'commit status pass failed; retrying on the next tick');
        nextDueMs = intervalMs;
      }
      const ceiling = deps.wakeups.listening ? idleMs : intervalMs;
      // A row due now that another process holds locked is claimable again in moments, not at once.
      await deps.wakeups.wait(Math.max(MIN_WAIT_MS, Math.min(nextDueMs ?? ceiling, ceiling)), mark);
    }
  };
  const running = run();
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}
