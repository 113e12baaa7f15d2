/**
 * `pull_request` deliveries: new code on a pull request (opened, synchronize, reopened) starts a
 * pipeline; every other action (labels, reviews, closing, ...) is ignored.
 */
import type { DeliveryOutcome, PullRequestTrigger } from './outcome.js';
import {
  checkPayload,
  PULL_REQUEST_TRIGGER_ACTIONS,
  pullRequestAction,
  pullRequestPayload,
  type PullRequestPayload,
} from './payload-schemas.js';
import { toLocator, toRepositoryRef, withPeekedRepository } from './repository.js';

const TRIGGER_ACTIONS: readonly string[] = PULL_REQUEST_TRIGGER_ACTIONS;

/** Interprets a `pull_request` body: trigger, ignored (other actions) or invalid. */
export function interpretPullRequest(body: unknown): DeliveryOutcome {
  const action = checkPayload(pullRequestAction, body);
  if (!action.ok) return withPeekedRepository({ kind: 'invalid', problems: action.problems }, body);
  if (!TRIGGER_ACTIONS.includes(action.value.action)) {
    const reason = `pull_request action ${JSON.stringify(action.value.action.slice(0, 100))} does not start a pipeline; Gyre builds on ${TRIGGER_ACTIONS.join(', ')}`;
    return withPeekedRepository({ kind: 'ignored', reason }, body);
  }
  const checked = checkPayload(pullRequestPayload, body);
  if (!checked.ok) return withPeekedRepository({ kind: 'invalid', problems: checked.problems }, body);
  const trigger = toPullRequestTrigger(checked.value);
  return { kind: 'trigger', trigger, repository: toLocator(trigger.repository) };
}

function toPullRequestTrigger(payload: PullRequestPayload): PullRequestTrigger {
  const { head, base } = payload.pull_request;
  // Same repository (case-insensitively, as GitHub treats names) means a branch PR; anything
  // else, including a deleted head repository, is treated as a fork so secrets stay out.
  const fromFork =
    head.repo === null || head.repo.full_name.toLowerCase() !== payload.repository.full_name.toLowerCase();
  return {
    source: 'pull_request',
    // GitHub keeps refs/pull/<n>/head in the base repository, so it is fetchable even for forks.
    ref: `refs/pull/${payload.number}/head`,
    branch: head.ref,
    sha: head.sha,
    repository: toRepositoryRef(payload.repository),
    sender: payload.sender.login,
    pullRequest: {
      number: payload.number,
      action: payload.action,
      title: payload.pull_request.title,
      htmlUrl: payload.pull_request.html_url,
      baseBranch: base.ref,
      baseSha: base.sha,
      fromFork,
      ...(head.repo === null
        ? {}
        : { headRepository: { fullName: head.repo.full_name, cloneUrl: head.repo.clone_url } }),
    },
  };
}
