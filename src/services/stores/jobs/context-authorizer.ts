/**
 * A person's decision over jobs that name contexts (rerunning them, approving an approval job)
 * is theirs to make only if they may use those contexts: the feature layer answers that (it knows
 * the contexts store and who asks), the jobs store asks in the transaction that decides.
 */
import { ForbiddenError } from '../../../shared/errors.js';

/** Why the person may not use these contexts for the pipeline's jobs, or undefined when they may. */
export type ContextAuthorizer = (contexts: readonly string[], pipelineId: number) => Promise<string | undefined>;

/** Throws 403 `context_refused` saying what `what` the person may not do, and why. */
export async function requireContexts(
  authorize: ContextAuthorizer,
  contexts: readonly string[],
  pipelineId: number,
  what: string,
): Promise<void> {
  const refusal = contexts.length === 0 ? undefined : await authorize(contexts, pipelineId);
  if (refusal !== undefined) throw new ForbiddenError(`you may not ${what}: ${refusal}`, 'context_refused');
}
