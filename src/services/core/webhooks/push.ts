/**
 * `push` deliveries: a branch or tag moved. Deletions are ignored and skip markers honoured.
 */
import type { CommitAuthor, DeliveryOutcome, PushTrigger } from './outcome.js';
import { checkPayload, pushPayload, type PushPayload } from './payload-schemas.js';
import { toLocator, toRepositoryRef, withPeekedRepository } from './repository.js';
import { findSkipMarker } from './skip-ci.js';

/** GitHub's `after` for a deleted ref, and `before` for a created one. */
export const ZERO_SHA = '0'.repeat(40);

const BRANCH_PREFIX = 'refs/heads/';
const TAG_PREFIX = 'refs/tags/';

/** Interprets a `push` body: trigger, skipped (marker in the head commit), ignored (deletion) or invalid. */
export function interpretPush(body: unknown): DeliveryOutcome {
  const checked = checkPayload(pushPayload, body);
  if (!checked.ok) return withPeekedRepository({ kind: 'invalid', problems: checked.problems }, body);
  const payload = checked.value;
  const trigger = toPushTrigger(payload);
  const repository = toLocator(trigger.repository);
  const refName = trigger.branch !== undefined ? `branch ${trigger.branch}` : `tag ${trigger.tag ?? ''}`;
  if (payload.deleted === true || payload.after === ZERO_SHA) {
    return { kind: 'ignored', reason: `${refName} was deleted; deletions do not start pipelines`, repository };
  }
  const marker = trigger.headCommit === undefined ? undefined : findSkipMarker(trigger.headCommit.message);
  if (marker !== undefined) {
    return {
      kind: 'skipped',
      reason: `the head commit ${payload.after.slice(0, 12)} of ${refName} asks to skip CI with ${marker}`,
      trigger,
      repository,
    };
  }
  return { kind: 'trigger', trigger, repository };
}

function toPushTrigger(payload: PushPayload): PushTrigger {
  const ref = payload.ref;
  const refPart = ref.startsWith(BRANCH_PREFIX)
    ? { branch: ref.slice(BRANCH_PREFIX.length) }
    : { tag: ref.slice(TAG_PREFIX.length) };
  const head = payload.head_commit;
  return {
    source: 'push',
    ref,
    ...refPart,
    sha: payload.after,
    before: payload.before,
    repository: toRepositoryRef(payload.repository),
    sender: payload.sender.login,
    compareUrl: payload.compare,
    ...(head ? { headCommit: { message: head.message, author: toAuthor(head.author) } } : {}),
  };
}

function toAuthor(author: NonNullable<PushPayload['head_commit']>['author']): CommitAuthor {
  return {
    name: author.name,
    ...(author.email ? { email: author.email } : {}),
    ...(author.username !== undefined ? { username: author.username } : {}),
  };
}
