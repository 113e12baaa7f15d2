/**
 * The real payloads from `@octokit/webhooks-examples` (api.github.com), loaded once. The package
 * ships one JSON file, so it is read with require: jest's ESM mode has no JSON import attributes.
 */
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import type { PullRequestEvent, PushEvent } from '@octokit/webhooks-types';

const require = createRequire(import.meta.url);
const definitions = require('@octokit/webhooks-examples/api.github.com/index.json') as WebhookDefinition[];

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
