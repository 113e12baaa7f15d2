/**
 * The real payloads from `@octokit/webhooks-examples` (api.github.com), loaded once. The package
 * ships one JSON file, so it is read with require: jest's ESM mode has no JSON import attributes.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import type { PullRequestEvent, PushEvent } from '@octokit/webhooks-types';
import { signGitHubBody } from '../../src/services/core/webhooks/index.js';
import type { GitServer } from './git-server.js';

const require = createRequire(import.meta.url);
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as WebhookDefinition[];

/** The repository GitHub's push and pull_request examples name; projects that get them link to it. */
export const EXAMPLE_REPOSITORY = 'Codertocat/Hello-World';

/** Every example payload of one event, as GitHub sent it. */
export function examplesOf(event: string): readonly unknown[] {
  const definition = definitions.find((d) => d.name === event);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no ${event} examples`);
  return definition.examples;
}

/** The names of every event with examples. */
export function exampleEventNames(): readonly string[] {
  return definitions.map((d) => d.name);
}

/** A fresh, mutable copy of one push example, chosen by its ref and whether it deleted the ref. */
export function pushExample(ref: string, deleted: boolean): PushEvent {
  const found = (examplesOf('push') as PushEvent[]).find((e) => e.ref === ref && e.deleted === deleted);
  if (!found) throw new Error(`no push example for ${ref} (deleted: ${deleted})`);
  return structuredClone(found);
}

/** A fresh, mutable copy of the first pull_request example with this action. */
export function pullRequestExample(action: string): PullRequestEvent {
  const found = (examplesOf('pull_request') as PullRequestEvent[]).find((e) => e.action === action);
  if (!found) throw new Error(`no pull_request example with action ${action}`);
  return structuredClone(found);
}

/** GitHub's push example re-aimed at a commit: its branch, sha, head commit message and (optionally) repository. */
export function pushPayloadFor(
  sha: string,
  options: {
    branch?: string;
    message?: string;
    repository?: { full_name: string; name: string; default_branch?: string };
    /** The commit the branch pointed at before; by default none (GitHub's zeros: a new branch). */
    before?: string;
  } = {},
): Buffer {
  const payload = pushExample('refs/heads/master', false);
  Object.assign(payload, { ref: `refs/heads/${options.branch ?? 'main'}`, after: sha });
  if (options.before !== undefined) Object.assign(payload, { before: options.before, created: false });
  if (options.repository) Object.assign(payload.repository, options.repository);
  if (payload.head_commit) Object.assign(payload.head_commit, { id: sha, message: options.message ?? 'change things' });
  return Buffer.from(JSON.stringify(payload));
}

/**
 * GitHub's `pull_request` "opened" example re-aimed at a pull request from a fork: `repository`
 * is the base, and the head is commit `sha` on `branch` of the fork `headRepository`.
 */
export function forkPullRequestPayload(options: {
  repository: string;
  headRepository: string;
  sha: string;
  branch: string;
  /** Who opened it. @default the example's sender */
  sender?: string;
}): Buffer {
  const payload = pullRequestExample('opened');
  if (options.sender !== undefined) payload.sender.login = options.sender;
  Object.assign(payload.repository, { full_name: options.repository, name: options.repository.split('/')[1] });
  Object.assign(payload.pull_request.head, { sha: options.sha, ref: options.branch });
  payload.pull_request.head.repo = { ...structuredClone(payload.repository), full_name: options.headRepository };
  return Buffer.from(JSON.stringify(payload));
}

/** Posts `body` to a webhook URL as GitHub does: its headers, a fresh delivery id unless given, signed with `secret`. */
export function deliverWebhook(
  url: string,
  body: Buffer,
  secret: string,
  options: { event?: string; deliveryId?: string } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      'x-hub-signature-256': signGitHubBody(body, secret),
    },
    body,
  });
}

/**
 * Pushes `config` as `.circleci/config.yml` to `branch` of the git server's repository `repo`,
 * and delivers GitHub's pull request for it from the fork `headRepository` to the project (whose
 * linked repository is `repository`); the pipeline's id.
 */
export async function deliverForkPullRequest(
  services: { readonly base: string },
  git: Pick<GitServer, 'push'>,
  project: { readonly id: number; readonly webhookSecret: string },
  options: {
    repo: string;
    repository: string;
    headRepository: string;
    branch: string;
    config: string;
    sender?: string;
  },
): Promise<number> {
  const { sha } = await git.push(options.repo, { '.circleci/config.yml': options.config }, { branch: options.branch });
  const payload = forkPullRequestPayload({ ...options, sha });
  const response = await deliverWebhook(
    `${services.base}/webhooks/github?project=${project.id}`,
    payload,
    project.webhookSecret,
    { event: 'pull_request' },
  );
  if (response.status !== 202)
    throw new Error(`the pull request was answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { pipeline: { id: number } }).pipeline.id;
}
