/**
 * The one check of a job's contexts, made when its pipeline is planned and again when it is
 * leased (a restriction may have changed in between): the facts from the store, the decision
 * from core.
 */
import { contextRefusal, type JobCircumstances } from '../../core/access/context-access.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';

/** Why the job may not use `named`, or undefined when it may use them all. */
export async function checkContexts(
  contexts: Pick<ContextStore, 'facts'>,
  named: readonly string[],
  job: JobCircumstances & { readonly projectId: number },
): Promise<string | undefined> {
  if (named.length === 0) return undefined;
  return contextRefusal(named, await contexts.facts(named, job.projectId, job.actor), job);
}
