/**
 * The project role a GitHub permission on the linked repository gives, as CircleCI maps them:
 * pull (and triage) → viewer, push (and maintain) → member, admin → maintainer.
 */
import { PROJECT_ROLES, type ProjectRole } from './project-roles.js';

/** `permissions` of GitHub's repository object, as seen by the user whose token asked. */
export interface RepositoryPermissions {
  readonly admin?: boolean;
  readonly maintain?: boolean;
  readonly push?: boolean;
  readonly triage?: boolean;
  readonly pull?: boolean;
}

export function roleOfPermissions(permissions: RepositoryPermissions | undefined): ProjectRole | undefined {
  if (!permissions) return undefined;
  if (permissions.admin) return 'maintainer';
  if (permissions.push || permissions.maintain) return 'member';
  if (permissions.pull || permissions.triage) return 'viewer';
  return undefined;
}

/** The higher of two roles, either possibly absent. */
export function higherRole(a: ProjectRole | undefined, b: ProjectRole | undefined): ProjectRole | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return PROJECT_ROLES.indexOf(a) >= PROJECT_ROLES.indexOf(b) ? a : b;
}
