/**
 * The vocabulary of access control, shared by the route policy (src/services/http) and the store
 * that answers it (stores/projects/project-access.ts): the roles, who calls, and what a route's
 * `:id` can name.
 */

/** A project's roles, each allowing what the one before it does and more. */
export const PROJECT_ROLES = ['viewer', 'member', 'maintainer'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** Whether `role` allows what `needed` does. */
export function allows(role: ProjectRole, needed: ProjectRole): boolean {
  return PROJECT_ROLES.indexOf(role) >= PROJECT_ROLES.indexOf(needed);
}

/** Who can see a project besides its members and administrators: nobody, or every signed-in account. */
export const VISIBILITIES = ['private', 'internal'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** What a route's `:id` names, which leads to the project the route is about. */
export type ProjectLocator = 'project' | 'pipeline' | 'workflow' | 'job' | 'delivery';

/** Who calls: an account (by session or API token), the built-in admin, or a token made on the services box. */
export interface Caller {
  /** Null for the built-in admin and for tokens made on the services box. */
  readonly userId: number | null;
  readonly admin: boolean;
  /** For messages: the account's login, or the token's name. */
  readonly name: string;
}

/** The role an account's permission on a GitHub repository gives it (roles that follow GitHub). */
export interface RepositoryRoles {
  roleOn(userId: number, repository: string): Promise<ProjectRole | undefined>;
  /** Re-reads the roles that are no longer fresh, before a list filters on them. */
  refresh(userId: number): Promise<void>;
}

/** Answers the route policy's question. */
export interface ProjectRoles {
  /** The caller's role in the project that `of` number `id` belongs to; undefined when there is none or the caller may not see it. */
  roleIn(caller: Caller, of: ProjectLocator, id: number): Promise<ProjectRole | undefined>;
}
