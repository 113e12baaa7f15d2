/**
 * `GyreEnvironment`: the whole platform for integration tests, in one line.
 *
 *     const gyre = await new GyreEnvironment().withBuilders(1).start();
 *
 * It renders the services stack and N builder stacks exactly as `gyre render` does (generated
 * secrets, free ports on 127.0.0.1), brings them up with testcontainers' DockerComposeEnvironment
 * and waits for their health checks, creates an admin API token in the app container as `gyre up`
 * does, and runs a git server for the projects a test creates. `stop()` removes all of it.
 */
import { parseRepositoryFullName } from '../shared/repository-name.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import Dockerode from 'dockerode';
import {
  DockerComposeEnvironment,
  Wait,
  type StartedDockerComposeEnvironment,
  type WaitStrategy,
} from 'testcontainers';
import { DockerJobBackend } from '../docker/index.js';
import { builderObjectLabels, LABELS } from '../shared/labels.js';
import { APP_CLI } from '../orchestrator/services/services-up.js';
import { AdminConsole, type GitHubSettings } from './admin-console.js';
import { ApiClient, type ApiInit } from './api-client.js';
import { writeEnvironmentStacks, type BuilderSize, type StackOnDisk } from './environment-stacks.js';
import { GyreEnvironmentError, messageOf } from './errors.js';
import { freePorts } from './free-port.js';
import { GitServer } from './git-server.js';
import type { GyreProject, PipelineResult, PipelineView } from './types.js';
import type { PipelineParameters } from '../api/requests.js';

export type { ApiInit } from './api-client.js';
export type { GitHubSettings } from './admin-console.js';
export type { BuilderSize } from './environment-stacks.js';

const DEFAULT_STARTUP_TIMEOUT_MS = 300_000;
const BUILD_IMAGES_HINT =
  "build Gyre's images on this Docker host first: run `gyre images build --offline` (or `npx gyre images build --offline`)";
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
/**
 * Ready: the app listens, which it does once its database answers and its schema is current. Its
 * log says so, not an HTTP probe: testcontainers would probe from the address it guesses for the
 * host (inside a container, the bridge's gateway), but the environment publishes on 127.0.0.1 only.
 */
const SERVICES_READY = {
  'db-1': Wait.forLogMessage(/database system is ready to accept connections/),
  'app-1': Wait.forLogMessage(/"msg":"gyre serve is listening"/),
};
/** Ready: the agent registered with the services box (waitForBuilders then sees it active). */
const BUILDER_READY = { 'agent-1': Wait.forLogMessage(/"msg":"registered"/) };

export interface CreateProjectOptions {
  /** Project name, usually owner/repository. @default the folder's name */
  readonly name?: string;
  /** Branch the folder's files are committed to; the project's default branch. @default 'main' */
  readonly branch?: string;
  /**
   * The GitHub repository (owner/name) the project is linked to: webhook deliveries must name it.
   * @default the project's name, when it is an owner/name
   */
  readonly repository?: string;
}

export interface PushOptions {
  /** @default the project's default branch; a new branch starts from it */
  readonly branch?: string;
  /** @default 'Update from test' */
  readonly message?: string;
}

export interface WaitForPipelineOptions {
  /** @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 500 */
  readonly pollIntervalMs?: number;
}

export interface RestartServicesOptions {
  /** Seconds the app gets to shut down after SIGTERM before Docker kills it. @default 10 */
  readonly stopTimeoutSeconds?: number;
  /** How long the app may take to answer again after the restart. @default 120_000 */
  readonly timeoutMs?: number;
}

/** Configures and starts a Gyre environment: the services box, builders and a git server. */
export class GyreEnvironment {
  private builders: BuilderSize[] = [{}];
  private settings: Record<string, string> = {};
  private startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS;

  /**
   * How many builders to start, each with `size`. @default 1 builder with 1 slot, no CPU limit
   * and 4G of memory per slot: room for one `medium` job or two `small` ones at a time.
   */
  withBuilders(count: number, size: BuilderSize = {}): this {
    if (!Number.isInteger(count) || count < 0 || count > 20)
      throw new GyreEnvironmentError(
        'withBuilders()',
        `${count} is not a number of builders`,
        'give a whole number from 0 to 20',
      );
    this.builders = Array.from({ length: count }, () => ({ ...size }));
    return this;
  }

  /**
   * Extra settings as in `.env` (`gyre settings` lists them), e.g. `{ GYRE_LOG_LEVEL: 'debug' }` or
   * another `GYRE_APP_IMAGE`. Ports, host name and bind address are always the environment's own.
   */
  withSettings(values: Readonly<Record<string, string>>): this {
    this.settings = { ...this.settings, ...values };
    return this;
  }

  /** How long each stack may take to become healthy. @default 300_000 */
  withStartupTimeout(ms: number): this {
    this.startupTimeoutMs = ms;
    return this;
  }

  async start(): Promise<StartedGyreEnvironment> {
    const id = randomBytes(4).toString('hex');
    const docker = new Dockerode();
    await checkDocker(docker);
    const dir = await mkdtemp(join(tmpdir(), `gyre-environment-${id}-`));
    const parts = new Parts(docker, dir);
    try {
      const [httpPort, adminPort, ...agentPorts] = await freePorts(2 + this.builders.length);
      const stacks = writeEnvironmentStacks({
        id,
        dir,
        httpPort: httpPort!,
        adminPort: adminPort!,
        builders: this.builders.map((size, i) => ({ ...size, agentApiPort: agentPorts[i]! })),
        settings: this.settings,
      });
      const { settings } = stacks;
      await checkImages(
        docker,
        settings.database.kind === 'bundled' ? [settings.images.app, settings.images.db] : [settings.images.app],
      );

      const [services, git] = await allStarted([
        this.up(stacks.services, 'the services stack', SERVICES_READY).then((started) => (parts.services = started)),
        GitServer.start(docker, { image: settings.images.app, labels: { [LABELS.testEnvironment]: id } }).then(
          (started) => (parts.git = started),
        ),
      ] as const);
      const adminToken = await createToken(services, id);
      const baseUrl = `http://127.0.0.1:${httpPort}`;
      const api = new ApiClient(baseUrl, adminToken);

      const builders = stacks.writeBuilders([git.egressEntry]);
      parts.builderNames = builders.map((b) => b.builderName);
      await allStarted(
        builders.map((builder) =>
          this.up(builder, `builder stack ${builder.builderName}`, BUILDER_READY).then((started) =>
            parts.builders.push(started),
          ),
        ),
      );
      await waitForBuilders(api, parts.builderNames, this.startupTimeoutMs);

      return new StartedGyreEnvironment({
        id,
        uiUrl: settings.publicUrl,
        apiUrl: baseUrl,
        adminUrl: `http://127.0.0.1:${adminPort}`,
        adminToken,
        admin: { user: 'admin', password: settings.secrets.adminPassword ?? '' },
        hostAddress: git.hostAddress,
        servicesProject: stacks.services.projectName,
        builders: parts.builderNames,
        api,
        git,
        parts,
      });
    } catch (error) {
      await parts.remove().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Brings a stack up and waits for each container's sign of readiness. Not Docker's health
   * status: the stacks probe only every 30 s, so waiting for it would cost up to 30 s a stack.
   */
  private async up(
    stack: StackOnDisk,
    what: string,
    readiness: Readonly<Record<string, WaitStrategy>>,
  ): Promise<StartedDockerComposeEnvironment> {
    try {
      let environment = new DockerComposeEnvironment(stack.dir, stack.file)
        .withProjectName(stack.projectName)
        .withStartupTimeout(this.startupTimeoutMs);
      for (const [container, strategy] of Object.entries(readiness))
        environment = environment.withWaitStrategy(container, strategy);
      return await environment.up();
    } catch (error) {
      const reason = messageOf(error);
      const hint = /compose is not installed/i.test(reason)
        ? 'install Docker Compose v2, so that `docker compose version` works'
        : /no such image|pull access denied|manifest unknown|failed to resolve reference/i.test(reason)
          ? BUILD_IMAGES_HINT
          : `run again with DEBUG='testcontainers*' to see the containers' logs (Compose project ${stack.projectName})`;
      throw new GyreEnvironmentError(`starting ${what}`, reason, hint, { cause: error });
    }
  }
}

interface StartedParts {
  readonly id: string;
  readonly uiUrl: string;
  readonly apiUrl: string;
  readonly adminUrl: string;
  readonly adminToken: string;
  readonly admin: { readonly user: string; readonly password: string };
  readonly hostAddress: string;
  readonly servicesProject: string;
  readonly builders: readonly string[];
  readonly api: ApiClient;
  readonly git: GitServer;
  readonly parts: Parts;
}

/** A running Gyre environment. */
export class StartedGyreEnvironment implements AsyncDisposable {
  /** The web UI, e.g. http://127.0.0.1:49152 */
  readonly uiUrl: string;
  /** Base URL of the API: requests go to `${apiUrl}/api/v1/...`. */
  readonly apiUrl: string;
  /** The admin console, its own listener. */
  readonly adminUrl: string;
  /** An API token of the administrator; `api()` sends it. */
  readonly adminToken: string;
  /** The first administrator's login for the web UI and the admin console. */
  readonly admin: { readonly user: string; readonly password: string };
  /**
   * The host's address on Docker's default bridge (e.g. 172.17.0.1), which the services box and
   * the checkout step reach: a server the test runs on the host for Gyre to call (say, a GitHub
   * API double) listens on it, or on 0.0.0.0, and is given to Gyre as `http://${hostAddress}:port`.
   * A job's own steps do not reach it: the builder's egress policy refuses the builder's host
   * (only the environment's git server is opened to jobs, for their checkout; open another port
   * with `withSettings({ GYRE_EGRESS_ALLOW: ... })`).
   */
  readonly hostAddress: string;
  /** Names of the builders, as `GET /api/v1/builders` shows them. */
  readonly builders: readonly string[];
  /** Random id in every Compose project name (`gyre-env-<id>`) and builder name (`env-<id>-<n>`). */
  readonly id: string;
  private readonly client: ApiClient;
  private readonly git: GitServer;
  private readonly parts: Parts;
  private readonly servicesProject: string;
  private readonly repos = new Map<number, { repo: string; defaultBranch: string }>();
  private repoCount = 0;

  /** @internal Made by `GyreEnvironment.start()`. */
  constructor(started: StartedParts) {
    ({
      id: this.id,
      uiUrl: this.uiUrl,
      apiUrl: this.apiUrl,
      adminUrl: this.adminUrl,
      adminToken: this.adminToken,
      admin: this.admin,
      hostAddress: this.hostAddress,
      builders: this.builders,
    } = started);
    this.servicesProject = started.servicesProject;
    this.client = started.api;
    this.git = started.git;
    this.parts = started.parts;
  }

  /** `fetch` against the API with the admin token. `path` starts with `/api/v1/`; `json` sends a JSON body (POST unless `method` says otherwise). */
  api(path: string, init: ApiInit = {}): Promise<Response> {
    return this.client.fetch(path, init);
  }

  /**
   * Commits the folder's files (as `git add --all` sees them, so `.gitignore` applies) to a new
   * repository on the environment's git server and creates a project for it.
   */
  async createProject(folder: string, options: CreateProjectOptions = {}): Promise<GyreProject> {
    const path = resolve(folder);
    const name =
      options.name ??
      basename(path)
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '');
    if (!PROJECT_NAME.test(name))
      throw new GyreEnvironmentError(
        'createProject()',
        `${JSON.stringify(name)} is not a project name`,
        'pass { name: "owner/repository" }: letters, digits, dots, dashes, underscores and slashes, up to 100',
      );
    const branch = options.branch ?? 'main';
    const repository = options.repository ?? (parseRepositoryFullName(name) ? name : undefined);
    const repo = `${name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60)}-${++this.repoCount}`;
    const sha = await this.git.createFromFolder(repo, path, branch);
    const created = await this.client.call(`creating project ${name}`, (client) =>
      client.createProject({
        name,
        gitUrl: this.git.url(repo),
        defaultBranch: branch,
        ...(repository !== undefined && { repository }),
      }),
    );
    this.repos.set(created.id, { repo, defaultBranch: branch });
    return {
      id: created.id,
      name: created.name,
      defaultBranch: created.defaultBranch,
      gitUrl: created.gitUrl,
      webhookUrl: created.webhookUrl,
      webhookSecret: created.webhookSecret,
      sha,
    };
  }

  /**
   * Writes `files` (path → content) over the branch's files, commits and pushes. Files not named
   * stay as they were. Returns the new commit's sha. Pushing does not trigger a pipeline (there
   * is no GitHub here); call `triggerPipeline`.
   */
  async push(
    project: Pick<GyreProject, 'id'>,
    files: Readonly<Record<string, string>>,
    options: PushOptions = {},
  ): Promise<string> {
    const known = this.repos.get(project.id);
    if (!known)
      throw new GyreEnvironmentError(
        'push()',
        `project ${project.id} was not made by createProject() of this environment`,
        "push only to projects that this environment's createProject() returned",
      );
    const pushed = await this.git.push(known.repo, files, {
      branch: options.branch ?? known.defaultBranch,
      base: known.defaultBranch,
      message: options.message ?? 'Update from test',
    });
    return pushed.sha;
  }

  /**
   * Triggers a pipeline on the branch's head, as the API's "run pipeline" does, with values for
   * the config's pipeline parameters. @default the project's default branch, the parameters' defaults
   */
  triggerPipeline(
    project: Pick<GyreProject, 'id'>,
    branch?: string,
    parameters?: PipelineParameters,
  ): Promise<PipelineView> {
    return this.client.call(`triggering a pipeline of project ${project.id}`, (client) =>
      client.triggerPipeline(project.id, branch, parameters),
    );
  }

  /** Resolves once every job of the pipeline has finished, or the pipeline is in `error` or `skipped`. */
  waitForPipeline(
    pipeline: number | Pick<PipelineView, 'id'>,
    options: WaitForPipelineOptions = {},
  ): Promise<PipelineResult> {
    const id = typeof pipeline === 'number' ? pipeline : pipeline.id;
    return this.client.waitForPipeline(id, options.timeoutMs ?? 300_000, options.pollIntervalMs ?? 500);
  }

  /** The log of a job's latest attempt, as text. */
  async jobLog(job: number | { readonly id: number }): Promise<string> {
    const id = typeof job === 'number' ? job : job.id;
    const response = await this.client.fetch(`/api/v1/jobs/${id}/log`);
    if (!response.ok)
      throw new GyreEnvironmentError(
        `reading the log of job ${id}`,
        `the API answered ${response.status}: ${await response.text()}`,
      );
    return response.text();
  }

  /**
   * Saves the GitHub connection in the admin console, as an administrator would: signs in to
   * `adminUrl` as the built-in admin and submits the settings page's GitHub form. With a
   * `statusToken`, pipelines started by GitHub webhooks post commit statuses to `apiUrl`. Gyre
   * calls these URLs from its container: for a server on this host use `hostAddress`, not 127.0.0.1.
   */
  async configureGitHub(settings: GitHubSettings): Promise<void> {
    const session = await AdminConsole.signIn(this.adminUrl, this.admin.user, this.admin.password);
    await session.saveGitHub(settings);
  }

  /**
   * Restarts the services box's app container (`docker restart`), as an operator or an upgrade
   * would: the app gets SIGTERM, then SIGKILL after `stopTimeoutSeconds`. Its database, the
   * builders and their running jobs keep going. Resolves once the API's `/healthz` answers 200 again.
   */
  async restartServices(options: RestartServicesOptions = {}): Promise<void> {
    const step = 'restarting the services app';
    const docker = this.parts.docker;
    const filters = JSON.stringify({
      label: [`com.docker.compose.project=${this.servicesProject}`, 'com.docker.compose.service=app'],
    });
    const found = await docker.listContainers({ all: true, filters });
    if (found.length !== 1)
      throw new GyreEnvironmentError(
        step,
        `Compose project ${this.servicesProject} has ${found.length} app containers, not 1`,
        'was the environment stopped, or its containers removed by hand?',
      );
    const container = docker.getContainer(found[0]!.Id);
    try {
      const before = (await container.inspect()).State.StartedAt;
      await container.restart({ t: options.stopTimeoutSeconds ?? 10 });
      const after = (await container.inspect()).State.StartedAt;
      if (after === before) throw new Error(`the container's start time is still ${before}`);
    } catch (error) {
      throw new GyreEnvironmentError(step, messageOf(error), undefined, { cause: error });
    }
    const timeoutMs = options.timeoutMs ?? 120_000;
    const started = Date.now();
    let last = 'no answer yet';
    while (Date.now() - started < timeoutMs) {
      try {
        const health = await fetch(new URL('/healthz', this.apiUrl), { signal: AbortSignal.timeout(5_000) });
        if (health.ok) return;
        last = `/healthz answered ${health.status}: ${await health.text()}`;
      } catch (error) {
        last = messageOf(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new GyreEnvironmentError(
      step,
      `the app did not answer within ${timeoutMs} ms of the restart (${last})`,
      `look at its log: docker compose -p ${this.servicesProject} logs app`,
    );
  }

  /** Removes everything: the stacks with their volumes, the builders' job containers, the git server and the temporary folder. Safe to call twice. */
  stop(): Promise<void> {
    return this.parts.remove();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** What has been started so far, so that a failed start and `stop()` remove the same things. */
class Parts {
  services: StartedDockerComposeEnvironment | undefined;
  git: GitServer | undefined;
  readonly builders: StartedDockerComposeEnvironment[] = [];
  builderNames: readonly string[] = [];
  private removal: Promise<void> | undefined;

  constructor(
    readonly docker: Dockerode,
    private readonly dir: string,
  ) {}

  remove(): Promise<void> {
    this.removal ??= this.removeAll();
    return this.removal;
  }

  private async removeAll(): Promise<void> {
    const failures: string[] = [];
    const settle = async (what: string, work: Promise<unknown>) => {
      try {
        await work;
      } catch (error) {
        failures.push(`${what}: ${messageOf(error)}`);
      }
    };
    // Builders first, so no agent starts a job on a services box that is going away. A drain
    // without jobs ends at once; 10 s covers one that is mid-job before SIGKILL.
    await Promise.all(
      this.builders.map((b) => settle('removing a builder stack', b.down({ removeVolumes: true, timeout: 10 }))),
    );
    await settle('removing job containers', removeJobLeftovers(this.docker, this.builderNames));
    await Promise.all([
      ...(this.services
        ? [settle('removing the services stack', this.services.down({ removeVolumes: true, timeout: 5 }))]
        : []),
      ...(this.git ? [settle('removing the git server', this.git.stop())] : []),
    ]);
    await settle('removing the temporary folder', rm(this.dir, { recursive: true, force: true }));
    if (failures.length > 0)
      throw new GyreEnvironmentError(
        'stopping the environment',
        failures.join('; '),
        'remove what is left with `docker ps -a` and `docker compose ls`: every project is named gyre-env-<id>',
      );
  }
}

/** Like Promise.all, but waits for every start to settle, so that a failure leaves nothing half-started behind. */
async function allStarted<T extends readonly unknown[]>(starts: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Containers, networks and volumes that a builder made for jobs and left when it was stopped mid-job. */
async function removeJobLeftovers(docker: Dockerode, builderNames: readonly string[]): Promise<void> {
  const backend = new DockerJobBackend(docker);
  for (const name of builderNames) await backend.removeByLabels(builderObjectLabels(name), `builder ${name}`);
}

async function checkDocker(docker: Dockerode): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new GyreEnvironmentError(
      'connecting to Docker',
      messageOf(error),
      'start the Docker Engine, or point DOCKER_HOST at it',
      { cause: error },
    );
  }
}

async function checkImages(docker: Dockerode, refs: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const ref of refs) {
    try {
      await docker.getImage(ref).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404)
        throw new GyreEnvironmentError(`looking for image ${ref}`, messageOf(error), undefined, { cause: error });
      missing.push(ref);
    }
  }
  if (missing.length > 0)
    throw new GyreEnvironmentError(
      "checking Gyre's images",
      `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not on this Docker host, and the environment never pulls`,
      BUILD_IMAGES_HINT,
    );
}

/** An API token of the administrator, made in the app container as `gyre up` makes one. */
async function createToken(services: StartedDockerComposeEnvironment, id: string): Promise<string> {
  const result = await services
    .getContainer('app-1')
    .exec([...APP_CLI, 'tokens', 'create', '--name', `gyre-environment-${id}`, '--json']);
  if (result.exitCode !== 0)
    throw new GyreEnvironmentError(
      'creating an API token in the app container',
      `exit code ${result.exitCode}: ${result.output.trim()}`,
      'the app image may be older than this package; rebuild it with `gyre images build --offline`',
    );
  try {
    return (JSON.parse(result.stdout) as { token: string }).token;
  } catch (error) {
    throw new GyreEnvironmentError(
      'creating an API token in the app container',
      `\`gyre tokens create --json\` printed no JSON: ${result.stdout.trim()}`,
      'the app image may be older than this package; rebuild it with `gyre images build --offline`',
      { cause: error },
    );
  }
}

/** Waits until every builder has joined the services box, so a pipeline triggered next is picked up. */
async function waitForBuilders(api: ApiClient, names: readonly string[], timeoutMs: number): Promise<void> {
  if (names.length === 0) return;
  const started = Date.now();
  let seen: { name: string; state: string }[] = [];
  while (Date.now() - started < timeoutMs) {
    seen = await api.call('listing the builders', (client) => client.builders());
    if (names.every((name) => seen.some((b) => b.name === name && b.state === 'active'))) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const states = seen.map((b) => `${b.name}: ${b.state}`).join(', ') || 'none';
  throw new GyreEnvironmentError(
    'waiting for the builders to join',
    `after ${timeoutMs} ms the services box lists ${states}; expected ${names.join(', ')}`,
    `run again with DEBUG='testcontainers*' to see the agents' logs`,
  );
}
