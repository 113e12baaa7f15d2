/** The audit log page: the newest entries first. */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { adminOnly, adminPageModel } from './admin-page.js';

const SHOWN = 200;

export function registerAuditPage(web: FastifyInstance, deps: AdminDeps): void {
  web.get('/audit', { preHandler: adminOnly }, async (request, reply) => {
    const entries = await deps.audit.newest(SHOWN);
    return sendPage(reply, deps, 'admin-audit', { ...adminPageModel(request, 'Audit log'), entries, shown: SHOWN });
  });
}
