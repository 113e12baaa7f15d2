/**
 * The builders page: the fleet and the queue, read-only, so that anyone can see why a job
 * waits. Draining and revoking builders belong to the admin console.
 */
import { readQueue } from '../../../stores/jobs/queue-view.js';
import { signedInCaller, SIGNED_IN } from '../../../http/access-policy.js';
import type { UserPages } from '../user-ui.js';
import { sendPage } from '../../../http/web-scope.js';
import { pageModel } from './page-common.js';

export const builderPages: UserPages = (web, parts) => {
  web.get('/builders', { config: SIGNED_IN }, async (request, reply) => {
    const builders = await parts.builders.list();
    const queue = await readQueue(parts.db, builders, signedInCaller(request));
    return sendPage(reply, parts, 'builders', pageModel(request, 'Builders', { builders, queue }));
  });
};
