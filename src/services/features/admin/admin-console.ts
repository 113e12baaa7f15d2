/**
 * The admin console, on the admin port only: sign-in for administrators (cookie `gyre_admin`,
 * separate from the user UI's), then the fleet, the queue, the projects' Docker grants, the accounts, the settings, the backups and the audit log.
 * Nothing here is registered on the user port, so none of it is reachable there.
 */
import type { FastifyInstance } from 'fastify';
import { registerLoginPages } from '../web/login-pages.js';
import { registerWebScope } from '../../http/web-scope.js';
import { registerAccountsPages } from './accounts-pages.js';
import { registerContextsPages } from './contexts-pages.js';
import { registerOrbsPages } from './orbs-pages.js';
import { registerProjectsPages } from './projects-pages.js';
import type { AdminDeps } from './admin-deps.js';
import { adminLoginPolicy } from './admin-login-policy.js';
import { registerAuditPage } from './audit-page.js';
import { registerBackupsPage } from './backups-page.js';
import { registerFleetPages } from './fleet-pages.js';
import { registerSettingsPages } from './settings-pages.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';

export function registerAdminConsole(app: FastifyInstance, deps: AdminDeps): void {
  registerWebScope(app, 'admin', deps, (web) => {
    registerLoginPages(web, adminLoginPolicy(deps.users, deps.adminPassword), deps);
    web.get('/', { config: ADMIN_ONLY }, (_request, reply) => reply.redirect('/fleet'));
    registerFleetPages(web, deps);
    registerProjectsPages(web, deps);
    registerAccountsPages(web, deps);
    registerContextsPages(web, deps);
    registerOrbsPages(web, deps);
    registerSettingsPages(web, deps);
    registerBackupsPage(web, deps);
    registerAuditPage(web, deps);
  });
}
