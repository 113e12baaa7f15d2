/**
 * The names of a workflow's jobs once matrices are expanded, and what `requires` may name, as
 * CircleCI's configuration reference and compiler have them:
 * - jobs that would share a name (a job invoked twice without `name:`, or with the same one) are
 *   numbered `<name>-1`, `<name>-2`, … in file order; requiring that shared name is an error
 *   ("Job 'bug' requires 'test', which is the name of 2 other jobs in workflow …");
 * - a matrix's `alias` (by default its job's key) stands for every instance of the matrix.
 * A job's own name always means that job.
 */
import type { ErrorCollector } from './errors.js';
import type { WrittenRequirement } from './requires.js';
import type { JobInvocation } from './workflow-graph.js';

/** One entry of a workflow's `jobs:` list, and the invocations it stands for. */
export interface InvocationGroup<T extends GroupMember> {
  readonly members: readonly T[];
  /** False when the entry could not be read whole; its members are then missing or incomplete. */
  readonly complete: boolean;
  /** What `requires` may name to mean every member: a matrix's alias. */
  readonly alias?: string;
}

interface GroupMember extends JobInvocation {
  readonly requires: readonly WrittenRequirement[];
}

/** The members of every group, numbered where names repeat, with `requires` naming jobs only. */
export function resolveGroupNames<T extends GroupMember>(
  groups: readonly InvocationGroup<T>[],
  errors: ErrorCollector,
): T[] {
  const counts = new Map<string, number>();
  for (const m of groups.flatMap((g) => g.members)) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
  const numbered = new Map<string, number>();
  const aliases = new Map<string, string[]>();
  const members: T[] = [];
  for (const group of groups) {
    const named = group.members.map((m) => {
      if ((counts.get(m.name) ?? 0) < 2) return m;
      const n = (numbered.get(m.name) ?? 0) + 1;
      numbered.set(m.name, n);
      return { ...m, name: `${m.name}-${n}` };
    });
    if (group.alias !== undefined)
      aliases.set(group.alias, [...(aliases.get(group.alias) ?? []), ...named.map((m) => m.name)]);
    members.push(...named);
  }
  const names = new Set(members.map((m) => m.name));
  const resolve = (owner: string, req: WrittenRequirement): string[] => {
    if (names.has(req.name)) return [req.name];
    const shared = counts.get(req.name) ?? 0;
    if (shared < 2) return aliases.get(req.name) ?? [req.name];
    errors.add(
      req.at,
      req.path,
      `job "${owner}" requires "${req.name}", which is the name of ${shared} jobs of this workflow (${req.name}-1 to ${req.name}-${shared}); give the one to require a unique \`name:\` and require that`,
    );
    return [];
  };
  return members.map((m) => ({ ...m, requires: withoutRepeats(m.requires, (req) => resolve(m.name, req)) }));
}

/** Each requirement becomes one per job it names; a job required twice counts once, as first written. */
function withoutRepeats(
  requires: readonly WrittenRequirement[],
  jobsOf: (req: WrittenRequirement) => readonly string[],
): WrittenRequirement[] {
  const byJob = new Map<string, WrittenRequirement>();
  for (const req of requires) for (const job of jobsOf(req)) if (!byJob.has(job)) byJob.set(job, { ...req, name: job });
  return [...byJob.values()];
}
