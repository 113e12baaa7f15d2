/**
 * The user listener's HTTP surface: one error shape, the GitHub webhook inbox (authenticated by
 * signatures), the builder protocol (join secret, then builder credentials), then the JSON API
 * (authenticated by tokens).
 */
import { registerContextRoutes } from '../contexts/context-routes.js';
import { registerOrbRoutes } from '../orbs/orb-routes.js';
import type { BackupOverview } from '../backup/backup-overview.js';
import type { OrbStore } from '../../stores/orbs/orb-store.js';
import type { ContextStore } from '../../stores/contexts/context-store.js';
import type { GroupStore } from '../../stores/accounts/group-store.js';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../database/create-pool.js';
import { registerDeliveryRoutes } from '../webhooks/delivery-routes.js';
import type { DeliveryStore } from '../../stores/deliveries/delivery-store.js';
import { registerWebhookRoute } from '../webhooks/webhook-route.js';
import type { PipelinePlanner } from '../pipelines/pipeline-planner.js';
import { registerPipelineRoutes } from '../pipelines/pipeline-routes.js';
import type { BranchResolver } from '../pipelines/trigger-pipeline.js';
import type { PipelineStore } from '../../stores/pipelines/pipeline-store.js';
import { registerArtifactRoutes } from '../artifacts/artifact-routes.js';
import type { ArtifactStore } from '../../stores/artifacts/artifact-store.js';
import type { CacheStore } from '../../stores/caches/cache-store.js';
import type { WorkspaceStore } from '../../stores/workspaces/workspace-store.js';
import type { TransferLimits } from '../protocol/transfers/transfer-deps.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import { registerProjectRoutes } from '../projects/project-routes.js';
import type { ProjectStore } from '../../stores/projects/project-store.js';
import type { ProjectAccess } from '../../stores/projects/project-access.js';
import type { GitCredentialStore } from '../../stores/projects/git-credentials.js';
import type { SshKeyStore } from '../../stores/projects/ssh-keys.js';
import type { SshReruns } from '../ssh/ssh-reruns.js';
import type { HostPolicy } from '../../git/index.js';
import { registerSshKeyRoutes } from '../projects/ssh-key-routes.js';
import { registerDockerPermissionRoutes } from '../projects/docker-permission-routes.js';
import { registerCredentialRoutes } from '../projects/credential-routes.js';
import { registerTokenAuth } from '../../http/token-auth.js';
import { registerFleetRoutes } from '../fleet/fleet-routes.js';
import { registerBackupRoutes } from '../backup/backup-routes.js';
import { registerGitHubCheckRoutes } from '../github/github-check-routes.js';
import { registerAccountRoutes } from '../accounts/account-routes.js';
import { registerAccountSshKeyRoutes } from '../accounts/account-ssh-key-routes.js';
import type { UserSshKeys } from '../../stores/accounts/user-ssh-keys.js';
import type { UserStore } from '../../stores/accounts/user-store.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import { registerProtocolRoutes } from '../protocol/protocol-routes.js';
import type { BuilderStore } from '../../stores/builders/builder-store.js';
import type { JoinSecrets } from '../../stores/builders/join-secrets.js';
import type { JobStore } from '../../stores/jobs/job-store.js';
import type { ChangeSignal } from '../../database/notifications.js';
import { registerLogRoutes } from '../logs/log-routes.js';
import { registerTestResultRoutes } from '../test-results/test-result-routes.js';
import type { TestResultStore } from '../../stores/test-results/test-result-store.js';
import { type LogStore } from '../../stores/logs/log-store.js';
import { registerErrorShape } from '../../http/error-shape.js';
import { registerOpenApi } from '../../http/openapi.js';
import { registerScheduleRoutes } from '../schedules/schedule-routes.js';
import type { ScheduleStore } from '../../stores/schedules/schedule-store.js';

export interface ApiDeps {
  readonly db: Database;
  readonly projects: ProjectStore;
  readonly projectAccess: ProjectAccess;
  readonly contexts: ContextStore;
  /** The installation's orb store. */
  readonly orbs: OrbStore;
  readonly groups: GroupStore;
  /** Each project's credential for its private repository. */
  readonly credentials: GitCredentialStore;
  /** Each project's SSH keys for `add_ssh_keys`. */
  readonly sshKeys: SshKeyStore;
  /** Reruns with SSH: who may ask and connect, and what builders report of them. */
  readonly sshReruns: SshReruns;
  /** Which repository hosts git URLs may name (GYRE_GIT_ALLOWED_HOSTS). */
  readonly hostPolicy: HostPolicy;
  readonly pipelines: PipelineStore;
  /** Where caches, workspace layers and artifacts keep their bytes. */
  readonly blobs: BlobStore;
  /** What jobs stored with `store_artifacts`. */
  readonly artifacts: ArtifactStore;
  /** Each project's caches. */
  readonly caches: CacheStore;
  /** Jobs' workspace layers. */
  readonly workspaces: WorkspaceStore;
  /** The largest upload of each kind a job may make. */
  readonly transferLimits: TransferLimits;
  readonly deliveries: DeliveryStore;
  readonly planner: PipelinePlanner;
  readonly branches: BranchResolver;
  readonly version: string;
  /** Base URL users and GitHub reach Gyre at, for the webhook URLs the API hands out. */
  readonly publicUrl: string;
  /** Where GitHub reaches Gyre's webhooks: the admin console's override, else `publicUrl`. */
  webhookBaseUrl(): Promise<string>;
  readonly builders: BuilderStore;
  readonly joinSecrets: JoinSecrets;
  readonly jobs: JobStore;
  readonly logs: LogStore;
  /** What jobs stored with `store_test_results`. */
  readonly testResults: TestResultStore;
  /** Each project's scheduled pipelines. */
  readonly schedules: ScheduleStore;
  readonly leaseWakeups: ChangeSignal;
  readonly users: UserStore;
  readonly runtimeSettings: RuntimeSettings;
  readonly backups: BackupOverview;
  /** Each account's public keys for SSH into builds. */
  readonly userSshKeys: UserSshKeys;
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  registerErrorShape(app);
  registerOpenApi(app, deps.version);
  registerWebhookRoute(app, deps);
  registerProtocolRoutes(app, deps);
  // Encapsulated: token authentication applies to the API routes only, not to /healthz or webhooks.
  void app.register((api, _options, done) => {
    registerTokenAuth(api, deps.db);
    registerProjectRoutes(api, deps.projects, deps.projectAccess, () => deps.webhookBaseUrl(), deps.hostPolicy);
    registerCredentialRoutes(api, deps);
    registerSshKeyRoutes(api, deps);
    registerDockerPermissionRoutes(api, deps);
    registerPipelineRoutes(api, deps);
    registerArtifactRoutes(api, deps);
    registerDeliveryRoutes(api, deps);
    registerFleetRoutes(api, deps);
    registerBackupRoutes(api, deps);
    registerGitHubCheckRoutes(api, deps);
    registerAccountRoutes(api, deps);
    registerAccountSshKeyRoutes(api, deps);
    registerContextRoutes(api, deps);
    registerOrbRoutes(api, deps.orbs);
    registerLogRoutes(api, deps);
    registerTestResultRoutes(api, deps);
    registerScheduleRoutes(api, deps);
    done();
  });
}
