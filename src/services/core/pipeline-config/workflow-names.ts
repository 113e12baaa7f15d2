/**
 * Names that stand for several jobs of a workflow in `requires`:
 * - a matrix's `alias` (by default its job's key) stands for every instance of the matrix;
 * - a job invoked more than once without `name:` is numbered `<job>-1`, `<job>-2`, … in file
 *   order, as CircleCI names such jobs, and its key stands for all of them.
 * A name that is also a job's own name means that job only.
 */
import type { WrittenRequirement } from './requires.js';
import type { JobInvocation } from './workflow-graph.js';

/** One entry of a workflow's `jobs:` list, and the invocations it stands for. */
export interface InvocationGroup<T extends GroupMember> {
  readonly members: readonly T[];
  /** False when the entry could not be read whole; its members are then missing or incomplete. */
  readonly complete: boolean;
  /** What `requires` may name to mean every member. */
  readonly alias?: string;
  /** The job key, when the one member's name is that key by default (no `name:`, no matrix). */
  readonly repeatable?: string;
}

interface GroupMember extends JobInvocation {
  readonly requires: readonly WrittenRequirement[];
}

/** The members of every group, renamed where repeated, with `requires` naming jobs only. */
export function resolveGroupNames<T extends GroupMember>(groups: readonly InvocationGroup<T>[]): T[] {
  const repeats = new Map<string, number>();
  for (const { repeatable } of groups)
    if (repeatable !== undefined) repeats.set(repeatable, (repeats.get(repeatable) ?? 0) + 1);
  const numbered = new Map<string, number>();
  const aliases = new Map<string, string[]>();
  const members: T[] = [];
  for (const group of groups) {
    let named: readonly T[] = group.members;
    let alias = group.alias;
    const key = group.repeatable;
    if (key !== undefined && (repeats.get(key) ?? 0) > 1) {
      const n = (numbered.get(key) ?? 0) + 1;
      numbered.set(key, n);
      named = group.members.map((m) => ({ ...m, name: `${key}-${n}` }));
      alias = key;
    }
    if (alias !== undefined) aliases.set(alias, [...(aliases.get(alias) ?? []), ...named.map((m) => m.name)]);
    members.push(...named);
  }
  const names = new Set(members.map((m) => m.name));
  return members.map((m) => ({ ...m, requires: expandAliases(m.requires, aliases, names) }));
}

/** Each requirement of an alias becomes one per job it stands for; a job required twice counts once. */
function expandAliases(
  requires: readonly WrittenRequirement[],
  aliases: ReadonlyMap<string, readonly string[]>,
  names: ReadonlySet<string>,
): WrittenRequirement[] {
  const byJob = new Map<string, WrittenRequirement>();
  for (const req of requires) {
    const jobs = names.has(req.name) ? [req.name] : (aliases.get(req.name) ?? [req.name]);
    for (const job of jobs) if (!byJob.has(job)) byJob.set(job, { ...req, name: job });
  }
  return [...byJob.values()];
}
