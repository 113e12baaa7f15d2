/** What the admin console needs from the services app's parts. */
import type { BuilderStore } from '../../stores/builders/builder-store.js';
import type { JobStore } from '../../stores/jobs/job-store.js';
import type { JoinSecrets } from '../../stores/builders/join-secrets.js';
import type { Database } from '../../database/create-pool.js';
import type { LoginDeps } from '../web/login-pages.js';
import type { AuditLog } from '../../stores/audit/audit-log.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';
import type { GroupStore } from '../../stores/accounts/group-store.js';
import type { OrbStore } from '../../stores/orbs/orb-store.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import type { BackupOverview } from '../backup/backup-overview.js';

export interface AdminDeps extends LoginDeps {
  readonly db: Database;
  readonly builders: BuilderStore;
  readonly jobs: JobStore;
  readonly joinSecrets: JoinSecrets;
  readonly runtimeSettings: RuntimeSettings;
  readonly audit: AuditLog;
  readonly projects: ProjectStore;
  readonly contexts: ContextStore;
  readonly groups: GroupStore;
  readonly orbs: OrbStore;
  /** GYRE_ADMIN_PASSWORD: the built-in `admin` account's password; without it only admin users sign in. */
  readonly adminPassword: string | undefined;
  /** GYRE_PUBLIC_URL, shown where the webhook base URL is not overridden. */
  readonly publicUrl: string;
  /** Scheduled backups: their settings, and the runs so far. */
  readonly backups: BackupOverview;
}
