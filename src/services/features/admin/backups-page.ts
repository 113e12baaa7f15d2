/**
 * The Backups page: the schedule, where backups go, and the recent runs with what reading each
 * back found. Restoring one is `gyre restore`'s, from a copy of the set (the page says how).
 */
import type { FastifyInstance } from 'fastify';
import { formatRoundedByteSize } from '../../../shared/byte-size.js';
import { nextSlot } from '../../../shared/cron-slots.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import { sendPage } from '../../http/web-scope.js';
import type { BackupRun } from '../../stores/backup/backup-runs.js';
import type { AdminDeps } from './admin-deps.js';
import { adminPageModel } from './admin-page.js';

const SHOWN = 50;

export function registerBackupsPage(web: FastifyInstance, deps: AdminDeps): void {
  web.get('/backups', { config: ADMIN_ONLY }, async (request, reply) => {
    const { runs, schedule, keep, destination } = deps.backups;
    const recent = await runs.recent(SHOWN);
    const last = recent.find((run) => run.state !== 'running');
    return sendPage(reply, deps, 'admin-backups', {
      ...adminPageModel(request, 'Backups'),
      schedule,
      next: schedule === undefined ? undefined : nextSlot(schedule, new Date()).toISOString(),
      keep,
      destination,
      copyCommand: destination.startsWith('s3://')
        ? `aws s3 sync ${destination} ./gyre-backups`
        : `docker cp gyre-services-app-1:${destination} ./gyre-backups`,
      last: last && shownRun(last),
      runs: recent.map(shownRun),
      shown: SHOWN,
    });
  });
}

function shownRun(run: BackupRun) {
  return {
    ...run,
    size: run.databaseBytes === null ? '' : formatRoundedByteSize(run.databaseBytes),
    added: run.blobBytesAdded === null ? '' : formatRoundedByteSize(run.blobBytesAdded),
  };
}
