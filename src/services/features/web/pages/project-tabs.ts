/**
 * The pages of one project and the role each needs. Route policies and the tabs a page shows
 * both read PAGE_ROLES, so a tab is never shown to someone its page would refuse.
 */
import { allows, type ProjectRole } from '../../../core/access/project-roles.js';

export type ProjectPage = 'pipelines' | 'schedules' | 'members' | 'deliveries' | 'variables' | 'settings';

/** The role each project page needs to be seen; what it lets you change may need more. */
export const PAGE_ROLES = {
  pipelines: 'viewer',
  schedules: 'viewer',
  members: 'viewer',
  deliveries: 'viewer',
  variables: 'maintainer',
  settings: 'maintainer',
} as const satisfies Record<ProjectPage, ProjectRole>;

const TABS: readonly { readonly page: ProjectPage; readonly label: string; readonly path: string }[] = [
  { page: 'pipelines', label: 'Pipelines', path: '' },
  { page: 'schedules', label: 'Schedules', path: '/schedules' },
  { page: 'members', label: 'Members', path: '/members' },
  { page: 'deliveries', label: 'Deliveries', path: '/deliveries' },
  { page: 'variables', label: 'Variables', path: '/variables' },
  { page: 'settings', label: 'Settings', path: '/settings' },
];

export interface ProjectTab {
  readonly href: string;
  readonly label: string;
  readonly current: boolean;
}

/** The tabs of project `projectId` that `role` may open, with `current` marked. */
export function projectTabs(projectId: number, role: ProjectRole, current: ProjectPage): ProjectTab[] {
  return TABS.filter((tab) => allows(role, PAGE_ROLES[tab.page])).map((tab) => ({
    href: `/projects/${projectId}${tab.path}`,
    label: tab.label,
    current: tab.page === current,
  }));
}
