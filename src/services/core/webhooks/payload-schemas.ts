/**
 * zod schemas of just the payload fields Gyre reads. Unknown fields pass untouched (GitHub adds
 * fields over time); known fields are checked for the shape Gyre relies on.
 */
import { z } from 'zod';
import type { PayloadProblem } from './outcome.js';

/** A git commit id as GitHub sends it. */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;

const sha = z.string().regex(COMMIT_SHA, { error: 'expected a 40-character lowercase hexadecimal commit SHA' });
const text = z.string().min(1, { error: 'expected a non-empty string' });
// Clone URLs reach git later: only http(s)://host... keeps out file://, git's command-running
// ext:: transport and forms that URL parsers and git read differently ("https:host").
const HTTP_URL = /^https?:\/\/[^\s/]\S*$/i;
const cloneUrl = z.string().refine((value) => HTTP_URL.test(value) && URL.canParse(value), {
  error: 'expected an http(s) clone URL like https://github.com/owner/name.git',
});
const fullName = z.string().regex(/^[^/\s]+\/[^/\s]+$/, { error: 'expected a repository full name like owner/name' });

const repository = z.object({
  full_name: fullName,
  name: text,
  clone_url: cloneUrl,
  html_url: z.string(),
  // Push payloads from older GitHub versions carried only owner.name; the full name always has it.
  owner: z.object({ login: text.optional(), name: z.string().nullish() }).optional(),
});

const sender = z.object({ login: text });

/** The fields of a `push` payload that Gyre uses. */
export const pushPayload = z.object({
  ref: z.string().regex(/^refs\/(heads|tags)\/./, { error: 'expected a ref starting with refs/heads/ or refs/tags/' }),
  before: sha,
  after: sha,
  deleted: z.boolean().optional(),
  compare: z.string(),
  head_commit: z
    .object({
      message: z.string(),
      author: z.object({ name: z.string(), email: z.string().nullish(), username: z.string().optional() }),
    })
    .nullish(),
  repository,
  sender,
});
export type PushPayload = z.infer<typeof pushPayload>;

/** The fields of a `ping` payload that Gyre uses. */
export const pingPayload = z.object({ zen: z.string(), hook_id: z.number().int().nonnegative() });

/** The pull request actions that start a pipeline: new code to build. */
export const PULL_REQUEST_TRIGGER_ACTIONS = ['opened', 'synchronize', 'reopened'] as const;

/** Just the action, read first so other actions are ignored without judging the rest. */
export const pullRequestAction = z.object({ action: z.string() });

const headRepo = z.object({ full_name: fullName, clone_url: cloneUrl });

/** The fields of a `pull_request` payload (for a triggering action) that Gyre uses. */
export const pullRequestPayload = z.object({
  action: z.enum(PULL_REQUEST_TRIGGER_ACTIONS),
  number: z.number().int().positive(),
  pull_request: z.object({
    title: z.string(),
    html_url: z.string(),
    head: z.object({ ref: text, sha, repo: headRepo.nullable() }),
    base: z.object({ ref: text, sha }),
  }),
  repository,
  sender,
});
export type PullRequestPayload = z.infer<typeof pullRequestPayload>;

/** Any payload's repository, read leniently: a wrong clone URL still leaves the full name. */
export const repositoryLocator = z.object({
  repository: z.object({ full_name: fullName, clone_url: z.string().optional().catch(undefined) }),
});

/** The result of checking a payload: its typed fields or every problem with its path. */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly PayloadProblem[] };

/** Runs a schema and turns zod issues into problems with dotted paths. Never throws. */
export function checkPayload<T>(schema: z.ZodType<T>, body: unknown): Checked<T> {
  const result = schema.safeParse(body, { error: describeMissing });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}

/** Says "missing" for absent fields instead of zod's "received undefined". */
function describeMissing(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing: expected ${issue.expected}`;
  return undefined;
}

/** `['pull_request', 'head', 'sha']` → `pull_request.head.sha`; the root is `(body)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
