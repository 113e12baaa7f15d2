/** What the admin console and the API show of scheduled backups: their settings and their runs. */
import type { BackupRuns } from '../../stores/backup/backup-runs.js';

export interface BackupOverview {
  readonly runs: BackupRuns;
  /** GYRE_BACKUP_SCHEDULE; undefined: scheduled backups are off. */
  readonly schedule: string | undefined;
  readonly keep: number;
  /** Where they go, as the runs record it. */
  readonly destination: string;
}
