/**
 * GitHub commit statuses, without I/O: what Gyre reports for a pipeline and each of its workflows,
 * and how a status is sent (`POST {apiUrl}/repos/{owner}/{repo}/statuses/{sha}`, answered 201).
 *
 * Like CircleCI, each workflow gets its own context (`gyre/<workflow>`): `pending` once the
 * pipeline is planned, then `success` when every job of the workflow succeeded, `failure` when a
 * job failed (or failed for infrastructure reasons), `error` when the workflow was canceled. A
 * pipeline that cannot be planned (invalid or missing config, unreachable repository) gets one
 * `error` status under the context `gyre`, whose description names the problem.
 */
import type { PipelineError } from '../pipelines/pipeline-model.js';
import type { RepositoryName } from '../../../shared/repository-name.js';

/** The states GitHub accepts. */
export type CommitStatusState = 'error' | 'failure' | 'pending' | 'success';

/** One status to report: GitHub's fields except the target URL, which the poster adds. */
export interface CommitStatus {
  readonly state: CommitStatusState;
  /** At most {@link MAX_DESCRIPTION} characters. */
  readonly description: string;
  readonly context: string;
}

/** GitHub's limit on a status description. */
export const MAX_DESCRIPTION = 140;
/** The context of statuses about the pipeline as a whole (it has no workflows to report). */
export const PIPELINE_CONTEXT = 'gyre';

export const workflowContext = (workflowName: string): string => `${PIPELINE_CONTEXT}/${workflowName}`;

/**
 * A description GitHub accepts: whitespace runs collapsed to one space, and at most `max`
 * characters (counted in code points, so a surrogate pair is never split), ending in "…" when cut.
 */
export function truncateDescription(text: string, max = MAX_DESCRIPTION): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= max
    ? chars.join('')
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** The status of a workflow that was just planned. */
export function pendingStatus(workflowName: string): CommitStatus {
  return {
    state: 'pending',
    description: truncateDescription(`Workflow ${workflowName} is running`),
    context: workflowContext(workflowName),
  };
}

/** A job as the outcome of its workflow is described. */
export interface EndedJob {
  readonly name: string;
  readonly state: string;
}

/**
 * The status of a settled workflow (state `success`, `failed` or `canceled`): success when every
 * job succeeded or did not run without anything failing; failed jobs make it a failure and a
 * cancellation an error.
 */
export function workflowOutcomeStatus(
  workflowName: string,
  workflowState: string,
  jobs: readonly EndedJob[],
): CommitStatus {
  const context = workflowContext(workflowName);
  const named = (states: readonly string[]) => jobs.filter((j) => states.includes(j.state)).map((j) => j.name);
  switch (workflowState) {
    case 'success': {
      // Jobs waiting for a status that did not happen (`requires: [{ test: failed }]`) did not run.
      const passed = named(['success']).length;
      const notRun = named(['not_run']);
      return {
        state: 'success',
        description: truncateDescription(
          `Workflow ${workflowName} succeeded: ${passed} job${passed === 1 ? '' : 's'} passed${notRun.length > 0 ? `; ${list(notRun)} not run` : ''}`,
        ),
        context,
      };
    }
    case 'canceled': {
      const canceled = named(['canceled']);
      return {
        state: 'error',
        description: truncateDescription(
          `Workflow ${workflowName} was canceled${canceled.length > 0 ? ` (${list(canceled)})` : ''}`,
        ),
        context,
      };
    }
    default: {
      const failed = named(['failed', 'infrastructure_failed', 'unauthorized']);
      const notRun = named(['not_run']);
      const detail = [failed.length > 0 && `${list(failed)} failed`, notRun.length > 0 && `${list(notRun)} not run`]
        .filter(Boolean)
        .join('; ');
      return {
        state: 'failure',
        description: truncateDescription(`Workflow ${workflowName} failed${detail ? `: ${detail}` : ''}`),
        context,
      };
    }
  }
}

/** The status of a pipeline that could not be planned; the description names the problem. */
export function pipelineErrorStatus(error: PipelineError): CommitStatus {
  const lead = {
    config: 'Invalid config',
    fetch: 'Could not read the config',
    internal: 'Gyre could not plan the pipeline',
  }[error.kind];
  return {
    state: 'error',
    description: truncateDescription(error.kind === 'internal' ? lead : `${lead}: ${error.message}`),
    context: PIPELINE_CONTEXT,
  };
}

/** The REST endpoint that creates a status on `sha` (the API URL without a trailing slash). */
export function commitStatusEndpoint(apiUrl: string, repository: RepositoryName, sha: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}/statuses/${sha}`;
}

/** The page a status links to. */
export const pipelineUrl = (publicUrl: string, pipelineId: number): string =>
  `${publicUrl.replace(/\/+$/, '')}/pipelines/${pipelineId}`;

/**
 * Whether posting again can help after GitHub answered `httpStatus`. 400 and 422 (e.g. the limit
 * of 1000 statuses per sha and context) never change; 401, 403 and 404 can, once an administrator
 * fixes the token or its access, and 429 and 5xx are passing trouble.
 */
export const isRetryable = (httpStatus: number): boolean => httpStatus !== 400 && httpStatus !== 422;

/** How long to wait after `attempts` failed posts: 1 s, 2 s, 4 s, … at most `capMs`. */
export function retryDelayMs(attempts: number, baseMs = 1_000, capMs = 300_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

function list(names: readonly string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
