/**
 * The user listener's HTTP surface: one error shape, the GitHub webhook inbox (authenticated by
 * signatures), the builder protocol (join secret, then builder credentials), then the JSON API
 * (authenticated by tokens).
 */
import type { FastifyInstance } from 'fastify';
import type { Database } from '../database/create-pool.js';
import { registerDeliveryRoutes } from '../deliveries/delivery-routes.js';
import type { DeliveryStore } from '../deliveries/delivery-store.js';
import { registerWebhookRoute } from '../deliveries/webhook-route.js';
import type { PipelineBuilder } from '../pipelines/pipeline-builder.js';
import { registerPipelineRoutes, type BranchResolver } from '../pipelines/pipeline-routes.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { registerProjectRoutes } from '../projects/project-routes.js';
import type { ProjectStore } from '../projects/project-store.js';
import { registerTokenAuth } from './authenticate.js';
import { registerFleetRoutes } from '../builders/fleet-routes.js';
import { registerAccountRoutes } from '../auth/account-routes.js';
import type { UserStore } from '../auth/user-store.js';
import type { RuntimeSettings } from '../admin/runtime-settings.js';
import { registerProtocolRoutes } from '../builders/protocol-routes.js';
import type { BuilderStore } from '../builders/builder-store.js';
import type { JoinSecrets } from '../builders/join-secrets.js';
import type { JobWrites } from '../scheduler/job-writes.js';
import type { ChangeSignal } from '../database/notifications.js';
import { registerLogRoutes, type LogStore } from '../logs/index.js';
import { registerErrorShape } from './error-shape.js';
import { registerOpenApi } from './openapi.js';

export interface ApiDeps {
  readonly db: Database;
  readonly projects: ProjectStore;
  readonly pipelines: PipelineStore;
  readonly deliveries: DeliveryStore;
  readonly builder: PipelineBuilder;
  readonly branches: BranchResolver;
  readonly version: string;
  /** Base URL users and GitHub reach Gyre at, for the webhook URLs the API hands out. */
  readonly publicUrl: string;
  /** Where GitHub reaches Gyre's webhooks: the admin console's override, else `publicUrl`. */
  webhookBaseUrl(): Promise<string>;
  readonly builders: BuilderStore;
  readonly joinSecrets: JoinSecrets;
  readonly jobs: JobWrites;
  readonly logs: LogStore;
  readonly leaseWakeups: ChangeSignal;
  readonly users: UserStore;
  readonly runtimeSettings: RuntimeSettings;
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  registerErrorShape(app);
  registerOpenApi(app, deps.version);
  registerWebhookRoute(app, deps);
  registerProtocolRoutes(app, deps);
  // Encapsulated: token authentication applies to the API routes only, not to /healthz or webhooks.
  void app.register((api, _options, done) => {
    registerTokenAuth(api, deps.db);
    registerProjectRoutes(api, deps.projects, () => deps.webhookBaseUrl());
    registerPipelineRoutes(api, deps);
    registerDeliveryRoutes(api, deps);
    registerFleetRoutes(api, deps);
    registerAccountRoutes(api, deps);
    registerLogRoutes(api, deps);
    done();
  });
}
