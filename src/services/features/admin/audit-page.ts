/** The audit log page: the newest entries first. */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { adminPageModel } from './admin-page.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';

const SHOWN = 200;

export function registerAuditPage(web: FastifyInstance, deps: AdminDeps): void {
  web.get('/audit', { config: ADMIN_ONLY }, async (request, reply) => {
    const entries = await deps.audit.newest(SHOWN);
    return sendPage(reply, deps, 'admin-audit', { ...adminPageModel(request, 'Audit log'), entries, shown: SHOWN });
  });
}
