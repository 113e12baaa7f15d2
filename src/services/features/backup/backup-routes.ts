/**
 * `GET /api/v1/backups` (administrators' tokens): the schedule and the recent scheduled backups,
 * for scripts and `gyre doctor`'s last-backup check.
 */
import type { FastifyInstance } from 'fastify';
import { backupsResponse } from '../../../api/responses.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import type { BackupOverview } from './backup-overview.js';

const RECENT = 20;

export function registerBackupRoutes(app: FastifyInstance, deps: { readonly backups: BackupOverview }): void {
  app.get(
    '/api/v1/backups',
    {
      config: ADMIN_ONLY,
      schema: {
        tags: ['backups'],
        summary: 'The backup schedule and the newest scheduled backups, with what reading each back found',
        response: { 200: backupsResponse },
      },
    },
    async () => {
      const { runs, schedule, keep, destination } = deps.backups;
      return { schedule: schedule ?? null, keep, destination, items: await runs.recent(RECENT) };
    },
  );
}
