/**
 * Who may use a context: the decision, apart from the database that supplies its facts. A job
 * gets a context's variables only when the context exists, its project may use it, the account
 * that triggered the pipeline may use it, and the build is not one of a fork's pull requests that
 * the project keeps secrets from. Otherwise the job ends `unauthorized` with the reason.
 */

/** The facts about one named context, as the contexts store reads them for a job. */
export interface ContextFacts {
  readonly name: string;
  /** False when no context has this name. */
  readonly exists: boolean;
  readonly projectAllowed: boolean;
  readonly accountAllowed: boolean;
  /** The groups it is restricted to; null when every account may use it. */
  readonly groups: readonly string[] | null;
}

/**
 * Who started a pipeline: the Gyre account that triggered or reran it, else the GitHub user whose
 * push or pull request did (who counts as the Gyre account signed in with GitHub under that
 * login), else nobody (a pipeline from before accounts were recorded).
 */
export type PipelineActor =
  | { readonly kind: 'account'; readonly userId: number; readonly name: string }
  | { readonly kind: 'github'; readonly login: string }
  | { readonly kind: 'none' };

/** Reads the actor from a pipeline's trigger detail. */
export function actorOfPipeline(detail: Readonly<Record<string, unknown>>): PipelineActor {
  const userId = detail['requestedByUserId'];
  if (typeof userId === 'number') {
    const name = detail['requestedBy'];
    return { kind: 'account', userId, name: typeof name === 'string' ? name : `account ${userId}` };
  }
  const sender = detail['sender'];
  return typeof sender === 'string' && sender !== '' ? { kind: 'github', login: sender } : { kind: 'none' };
}

export interface JobCircumstances {
  readonly projectName: string;
  readonly actor: PipelineActor;
  /** A fork's pull request in a project that does not pass secrets to forks. */
  readonly secretsWithheld: boolean;
}

/** Why the job may not use the contexts it names, or undefined when it may use them all. */
export function contextRefusal(
  named: readonly string[],
  facts: readonly ContextFacts[],
  job: JobCircumstances,
): string | undefined {
  if (named.length === 0) return undefined;
  if (job.secretsWithheld)
    return `builds of pull requests from forks get no contexts, and this job uses ${quoteList(named)}; a maintainer can pass secrets to builds from forks in the project's settings`;
  for (const name of named) {
    const fact = facts.find((f) => f.name === name);
    if (!fact?.exists)
      return `context "${name}" does not exist; an administrator creates it in the admin console (Contexts)`;
    if (!fact.projectAllowed)
      return `project ${job.projectName} may not use context "${name}"; an administrator adds the project to the context's projects`;
    if (!fact.accountAllowed)
      return `context "${name}" is restricted to ${fact.groups?.length === 1 ? 'the group' : 'the groups'} ${quoteList(fact.groups ?? [])}, and ${describeActor(job.actor)} is in none of them`;
  }
  return undefined;
}

function describeActor(actor: PipelineActor): string {
  switch (actor.kind) {
    case 'account':
      return `${actor.name}, who started the pipeline,`;
    case 'github':
      return `the GitHub user ${actor.login}, whose push or pull request started the pipeline,`;
    case 'none':
      return 'the pipeline was started by no account, so it';
  }
}

const quoteList = (names: readonly string[]): string =>
  names.length === 0 ? '(none)' : names.map((n) => `"${n}"`).join(', ');
