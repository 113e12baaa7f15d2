/**
 * What a delivery means for Gyre. The HTTP layer stores every delivery, then acts on the kind:
 * `trigger` creates a pipeline, `ping`/`skipped`/`ignored` are recorded and answered 2xx,
 * `invalid` is answered 400 with the problems.
 */

/** The repository a delivery names, read leniently so even bad deliveries can be tied to a project. */
export interface RepositoryLocator {
  /** `owner/name`, as GitHub spells it. */
  readonly fullName: string;
  readonly cloneUrl?: string;
}

/** The repository a pipeline builds. */
export interface RepositoryRef {
  /** `owner/name`, as GitHub spells it. */
  readonly fullName: string;
  /** HTTPS clone URL, e.g. `https://github.com/octo/app.git`. */
  readonly cloneUrl: string;
  readonly htmlUrl: string;
  /** The owner's login (user or organisation). */
  readonly owner: string;
  readonly name: string;
}

/** A commit's author as git recorded it; `username` is the GitHub login when GitHub knows it. */
export interface CommitAuthor {
  readonly name: string;
  readonly email?: string;
  readonly username?: string;
}

/** The commit at the tip of a push. */
export interface HeadCommit {
  readonly message: string;
  readonly author: CommitAuthor;
}

/** Fields every trigger has. */
interface TriggerBase {
  /** The git ref to fetch: `refs/heads/x`, `refs/tags/x` or, for pull requests, `refs/pull/<n>/head`. */
  readonly ref: string;
  /** The 40-hex commit to build. */
  readonly sha: string;
  /** The repository that received the webhook (for a pull request, the base repository). */
  readonly repository: RepositoryRef;
  /** Login of the GitHub user whose action caused the delivery. */
  readonly sender: string;
}

/** A push of a branch or a tag. Exactly one of `branch` and `tag` is set. */
export interface PushTrigger extends TriggerBase {
  readonly source: 'push';
  readonly branch?: string;
  readonly tag?: string;
  /** The ref's previous commit; forty zeros when the push created the ref. */
  readonly before: string;
  /** Absent when GitHub sends none (e.g. a ref pushed without new commits). */
  readonly headCommit?: HeadCommit;
  readonly compareUrl: string;
}

/** A pull request that was opened, reopened or got new commits. */
export interface PullRequestTrigger extends TriggerBase {
  readonly source: 'pull_request';
  /** The head branch name (in the fork, when `fromFork`). */
  readonly branch: string;
  readonly pullRequest: PullRequestInfo;
}

/** What Gyre keeps about a pull request. */
export interface PullRequestInfo {
  readonly number: number;
  readonly action: 'opened' | 'synchronize' | 'reopened';
  readonly title: string;
  readonly htmlUrl: string;
  /** The branch the pull request merges into. */
  readonly baseBranch: string;
  readonly baseSha: string;
  /**
   * True when the head lives in another repository (or its repository was deleted). Fork builds
   * must not see the project's secrets.
   */
  readonly fromFork: boolean;
  /** The repository holding the head branch; absent when it was deleted. */
  readonly headRepository?: RepositoryLocator;
}

/** Something that should start a pipeline. */
export type Trigger = PushTrigger | PullRequestTrigger;

/** One thing wrong with a delivery body: where (dotted path, `(body)` for the root) and what. */
export interface PayloadProblem {
  readonly path: string;
  readonly message: string;
}

/** The meaning of one delivery. `repository` is set whenever the body names one. */
export type DeliveryOutcome =
  | { readonly kind: 'ping'; readonly zen: string; readonly hookId: number; readonly repository?: RepositoryLocator }
  | { readonly kind: 'trigger'; readonly trigger: Trigger; readonly repository: RepositoryLocator }
  | {
      readonly kind: 'skipped';
      readonly reason: string;
      readonly trigger: Trigger;
      readonly repository: RepositoryLocator;
    }
  | { readonly kind: 'ignored'; readonly reason: string; readonly repository?: RepositoryLocator }
  | { readonly kind: 'invalid'; readonly problems: readonly PayloadProblem[]; readonly repository?: RepositoryLocator };

/** Every value of `DeliveryOutcome['kind']`, for exhaustiveness checks and tests. */
export const DELIVERY_OUTCOME_KINDS = [
  'ping',
  'trigger',
  'skipped',
  'ignored',
  'invalid',
] as const satisfies readonly DeliveryOutcome['kind'][];
