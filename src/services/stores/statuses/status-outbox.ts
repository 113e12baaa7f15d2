/**
 * Writes commit statuses to the `commit_statuses` outbox, on the client of the transaction that
 * changes the pipeline or workflow they report, so a status is queued exactly when the change
 * commits. The background poster (status-poster.ts) sends them; nothing here touches the network.
 *
 * Rows are queued only for pipelines whose trigger detail names the GitHub repository their
 * project is linked to (those from a push or pull request webhook, and reruns of them) and only
 * while the admin console has a status token. Each row keeps that repository: statuses go to the
 * linked repository only, even if the project is relinked before they are sent. Otherwise nothing
 * is queued at all: API-triggered pipelines have no GitHub repository to report to, and without a
 * token there is no one to report as.
 */
import type pg from 'pg';
import { workflowOutcomeStatus, type CommitStatus, type EndedJob } from '../../core/github/commit-status.js';

/** Queues `statuses` (in order) for a pipeline when it qualifies; returns how many were queued. */
export async function queueCommitStatuses(
  client: pg.PoolClient,
  pipelineId: number,
  statuses: readonly CommitStatus[],
): Promise<number> {
  if (statuses.length === 0) return 0;
  const result = await client.query(
    `INSERT INTO commit_statuses (pipeline_id, state, description, context, repository)
     SELECT p.id, s.state, s.description, s.context, pr.repository
     FROM pipelines p JOIN projects pr ON pr.id = p.project_id,
       unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS s(state, description, context, n)
     WHERE p.id = $1 AND lower(p.trigger_detail->>'repository') = lower(pr.repository)
       AND EXISTS (SELECT 1 FROM runtime_settings WHERE key = 'github.app' AND value ? 'statusTokenSealed')
     ORDER BY s.n`,
    [pipelineId, statuses.map((s) => s.state), statuses.map((s) => s.description), statuses.map((s) => s.context)],
  );
  return result.rowCount ?? 0;
}

/** Queues the outcome of a workflow that has just settled, with its jobs' end states. */
export async function queueWorkflowOutcome(
  client: pg.PoolClient,
  workflow: { id: number; pipelineId: number; name: string; state: string },
  jobs: readonly EndedJob[],
): Promise<void> {
  await queueCommitStatuses(client, workflow.pipelineId, [workflowOutcomeStatus(workflow.name, workflow.state, jobs)]);
}
