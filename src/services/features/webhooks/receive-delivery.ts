/**
 * The GitHub webhook inbox, independent of the HTTP framework: check headers, find the project
 * whose secret signed the raw bytes, store the delivery (once per delivery id), then act on it.
 * Every answer is one of the API's error or result bodies with its status code.
 */
import {
  decodeDeliveryBody,
  interpretDelivery,
  readDeliveryHeaders,
  verifyGitHubSignature,
  ZERO_SHA,
  type HeaderBag,
  type Trigger,
} from '../../core/webhooks/index.js';
import type { PipelinePlanner } from '../pipelines/pipeline-planner.js';
import type { PipelineRequest } from '../../core/pipelines/pipeline-model.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import type { Project, ProjectStore } from '../../stores/projects/project-store.js';
import { sameRepository } from '../../../shared/repository-name.js';
import type { DeliveryOutcomeLabel, DeliveryStore } from '../../stores/deliveries/delivery-store.js';

export interface InboxDeps {
  readonly deliveries: DeliveryStore;
  readonly projects: ProjectStore;
  readonly pipelines: PipelineStore;
  readonly planner: PipelinePlanner;
}

export interface InboxAnswer {
  readonly status: number;
  readonly body: unknown;
}

const fail = (status: number, code: string, message: string, details?: readonly unknown[]): InboxAnswer => ({
  status,
  body: { error: { code, message, ...(details && { details }) } },
});

export async function receiveDelivery(
  deps: InboxDeps,
  request: { headers: HeaderBag; rawBody: Buffer; projectId: number },
): Promise<InboxAnswer> {
  const read = readDeliveryHeaders(request.headers);
  if (!read.ok) {
    const status = read.problems.some((p) => p.header.toLowerCase() === 'content-type') ? 415 : 400;
    return fail(
      status,
      'invalid_delivery',
      `the delivery's headers are not those GitHub sends: ${read.problems.map((p) => p.message).join('; ')}`,
      read.problems,
    );
  }
  const headers = read.headers;
  const projectId = request.projectId;
  const secret = await deps.projects.webhookSecret(projectId);
  if (secret === undefined) {
    return fail(404, 'not_found', `project ${projectId} does not exist; copy the webhook URL from the project's page`);
  }
  const check = verifyGitHubSignature(request.rawBody, headers.signature, secret);
  if (!check.ok) {
    const hint = "check that the secret in the GitHub webhook settings is the project's webhook secret";
    return fail(401, 'bad_signature', `${check.message}; ${hint}`);
  }

  const rowId = await deps.deliveries.insert({
    deliveryId: headers.deliveryId,
    event: headers.event,
    projectId,
    headers: storedHeaders(request.headers),
    body: request.rawBody,
  });
  if (rowId === undefined) {
    const earlier = await deps.deliveries.findByDeliveryId(headers.deliveryId);
    // Only the project's own delivery is shown: another project's is not this secret holder's to read.
    if (earlier?.projectId !== projectId)
      return fail(
        409,
        'duplicate_delivery',
        `delivery ${headers.deliveryId} was already received for another project; GitHub gives every delivery its own X-GitHub-Delivery`,
      );
    return { status: 200, body: { duplicate: true, delivery: earlier } };
  }
  const answer = await actOnDelivery(deps, rowId, projectId, headers.event, request.rawBody, headers.bodyEncoding);
  await deps.deliveries.recordOutcome(rowId, answer.outcome, answer.detail, answer.status);
  return { status: answer.status, body: answer.body };
}

interface Action extends InboxAnswer {
  readonly outcome: DeliveryOutcomeLabel;
  readonly detail: string | null;
}

/** Acts on a stored delivery. Also used by redelivery. */
export async function actOnDelivery(
  deps: InboxDeps,
  rowId: number,
  projectId: number,
  event: string,
  rawBody: Buffer,
  encoding: 'json' | 'form',
): Promise<Action> {
  const decoded = decodeDeliveryBody(rawBody, encoding);
  if (!decoded.ok)
    return { ...fail(400, 'invalid_delivery', decoded.message), outcome: 'invalid', detail: decoded.message };
  const outcome = interpretDelivery(event, decoded.body);
  const project = await deps.projects.get(projectId);
  if (outcome.repository !== undefined) {
    const refusal = foreignRepositoryRefusal(project, outcome.repository.fullName);
    if (refusal !== undefined)
      return { ...fail(403, 'foreign_repository', refusal), outcome: 'refused', detail: refusal };
  }
  switch (outcome.kind) {
    case 'ping':
      return { status: 200, body: { ping: true, zen: outcome.zen }, outcome: 'ping', detail: null };
    case 'skipped':
      return { status: 200, body: { skipped: outcome.reason }, outcome: 'skipped', detail: outcome.reason };
    case 'ignored':
      return { status: 202, body: { ignored: outcome.reason }, outcome: 'ignored', detail: outcome.reason };
    case 'invalid': {
      const message = `the ${event} payload is not what GitHub sends: ${outcome.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
      return { ...fail(400, 'invalid_delivery', message, outcome.problems), outcome: 'invalid', detail: message };
    }
    case 'trigger': {
      const trigger = outcome.trigger;
      if (trigger.source === 'pull_request' && trigger.pullRequest.fromFork) {
        if (!project.buildForkPullRequests) {
          const reason = `pull request #${trigger.pullRequest.number} comes from a fork, and project ${project.name} does not build pull requests from forks`;
          return { status: 202, body: { ignored: reason }, outcome: 'ignored', detail: reason };
        }
      }
      const pipeline = await deps.pipelines.createPending(pipelineRequest(projectId, rowId, outcome.trigger));
      deps.planner.schedule(pipeline.id);
      return {
        status: 202,
        body: { pipeline: { id: pipeline.id, number: pipeline.number, state: pipeline.state } },
        outcome: 'pipeline',
        detail: `pipeline ${pipeline.number}`,
      };
    }
  }
}

/**
 * Why a delivery naming `repository` is refused by `project`, or undefined when it is the linked
 * one. A project's webhook secret is handed to whoever creates it, so a signature alone must not
 * let a delivery build (and post statuses to) a repository the project is not linked to.
 */
function foreignRepositoryRefusal(project: Project, named: string): string | undefined {
  if (project.repository !== null && sameRepository(project.repository, named)) return undefined;
  // The name comes from the body, which anyone holding the secret writes: keep it short.
  const repository = named.length > 140 ? `${named.slice(0, 140)}…` : named;
  if (project.repository === null)
    return `project ${project.name} is not linked to a GitHub repository, so it accepts no deliveries; a maintainer links it to ${repository} in the project's settings if that is its repository`;
  return `the delivery is from ${repository}, but project ${project.name} is linked to ${project.repository}; point this repository's webhook at its own project`;
}

function pipelineRequest(projectId: number, deliveryRowId: number, trigger: Trigger): PipelineRequest {
  // `repository` (GitHub's `owner/name`) is where the pipeline's commit statuses are posted.
  const repository = trigger.repository.fullName;
  const detail =
    trigger.source === 'push'
      ? {
          sender: trigger.sender,
          repository,
          headCommit: trigger.headCommit,
          compareUrl: trigger.compareUrl,
          // The commit the branch pointed at before this push; none for a new branch, as on CircleCI.
          ...(trigger.before !== ZERO_SHA && { before: trigger.before }),
        }
      : { sender: trigger.sender, repository, pullRequest: trigger.pullRequest };
  const tag = trigger.source === 'push' ? trigger.tag : undefined;
  return {
    projectId,
    deliveryRowId,
    trigger: trigger.source,
    ref: trigger.ref,
    sha: trigger.sha,
    detail,
    ...(trigger.branch !== undefined && { branch: trigger.branch }),
    ...(tag !== undefined && { tag }),
  };
}

/** The headers worth keeping for redelivery and support: GitHub's own and the content type. */
function storedHeaders(headers: HeaderBag): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (
      (lower.startsWith('x-github-') ||
        lower.startsWith('x-hub-') ||
        lower === 'content-type' ||
        lower === 'user-agent') &&
      typeof value === 'string'
    )
      kept[lower] = value;
  }
  return kept;
}
