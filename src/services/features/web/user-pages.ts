/**
 * The user UI's pages beyond sign-in and the project list, each module registering its own
 * routes in the user scope.
 */
import { builderPages } from './pages/builder-pages.js';
import { jobLogRoutes } from './pages/job-log-routes.js';
import { jobArtifactRoutes } from './pages/job-artifacts.js';
import { jobPages } from './pages/job-pages.js';
import { pipelinePages } from './pages/pipeline-pages.js';
import { projectDeletePages } from './pages/project-delete-pages.js';
import { projectDeliveryPages } from './pages/project-delivery-pages.js';
import { projectMemberPages } from './pages/project-member-pages.js';
import { projectPages } from './pages/project-pages.js';
import { projectSchedulePages } from './pages/project-schedule-pages.js';
import { projectSettingsPages } from './pages/project-settings-pages.js';
import { projectVariablePages } from './pages/project-variable-pages.js';
import { sshKeyPages } from './pages/ssh-key-pages.js';
import { tokenPages } from './pages/token-pages.js';
import type { UserPages } from './user-ui.js';

export const userPages: readonly UserPages[] = [
  projectPages,
  projectSettingsPages,
  projectVariablePages,
  projectSchedulePages,
  projectMemberPages,
  projectDeliveryPages,
  projectDeletePages,
  pipelinePages,
  jobPages,
  jobLogRoutes,
  jobArtifactRoutes,
  builderPages,
  tokenPages,
  sshKeyPages,
];
