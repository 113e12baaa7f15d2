/**
 * Runs one job attempt on the local Docker Engine: set-up (images, network, volume, services,
 * primary), steps, then cleanup by label, whatever happened. Step output and events go to the
 * sink as they happen; the result says how the attempt ended.
 */
import { GyreError, messageOf } from '../../shared/errors.js';
import type { JobBackend } from '../../docker/index.js';
import { formatDuration } from '../../shared/durations.js';
import { cleanupAttempt } from './cleanup.js';
import {
  createJobResources,
  jobLimits,
  ensureImage,
  requireGyreImage,
  builderLacks,
  checkServiceCount,
  ImageUnavailableError,
  JobFaultError,
  startPrimary,
  primaryEnvOf,
  startService,
  type JobResources,
} from './environment-setup.js';
import { JobStop } from './job-stop.js';
import { OutputPace } from './output-pace.js';
import { installTestSplitting } from './test-splitting.js';
import { caEnv, installExtraCa, proxyEnv } from './outbound.js';
import { serviceAlias } from './steps.js';
import { REMOTE_DOCKER_HOST } from './remote-docker.js';
import type { TakenLayerCache } from './layer-cache.js';
import type { PooledResources } from './resource-pool.js';
import { registryAuthFor } from './registry-auth.js';
import { sshLandingOf, type StartedService } from './ssh-landing.js';
import { jobLabels } from '../../shared/labels.js';
import { ImageToolsCache } from './image-tools-cache.js';
import { KILL_ALL_ARGV, parseToolsProbe, PROBE_TOOLS_ARGV, type ImageTools } from './shell.js';
import { note, outputOf, runSteps, type StepContext, type StepsOutcome } from './step-runner.js';
import type {
  DockerImage,
  JobResult,
  JobSshAccess,
  RunJobOptions,
  RunnerJob,
  RunnerSink,
  SshLanding,
} from './types.js';

/** Step index of the runner's own output (set-up, cancel, cleanup). */
export const SETUP_STEP_INDEX = 0;
/** How long background steps get to end after being killed at the end of the job. */
const BACKGROUND_WAIT_MS = 5_000;
/** Steps that run in helper containers of the agent's image: it must be on the builder for them (never pulled). */
const HELPER_STEPS: readonly string[] = [
  'checkout',
  'save_cache',
  'restore_cache',
  'persist_to_workspace',
  'attach_workspace',
];

/** Runs a job and always removes what it created. Never throws for a failure of the job itself. */
export async function runJob(
  backend: JobBackend,
  job: RunnerJob,
  sink: RunnerSink,
  options: RunJobOptions,
): Promise<JobResult> {
  const log = (line: string): void => note({ sink }, SETUP_STEP_INDEX, line);
  const pace = new OutputPace();
  const stop = new JobStop(backend, options, log, () => pace.end());
  const background: Promise<void>[] = [];
  let primary: string | undefined;
  let result: JobResult;
  /** Where a rerun with SSH's sessions land, read again for the wait after the steps. */
  let landing: (() => Promise<SshLanding>) | undefined;
  const layerCache = takeLayerCache(job, options);
  const pooled = options.resourcePool?.take();
  try {
    const resources = await setUp(backend, job, options, log, stop, pooled).finally(() => options.resourcePool?.fill());
    primary = resources.primary;
    stop.attach(primary);
    const addedEnvironment: Record<string, string> = {};
    landing = () =>
      sshLandingOf(backend, job, resources.primary, resources.network, resources.services, addedEnvironment);
    if (options.ssh) options.ssh.open(await landing());
    const { tools } = resources;
    const ctx: StepContext = {
      job,
      sink,
      options,
      backend,
      primary,
      resources,
      tools,
      stop,
      pace,
      background,
      addedEnvironment,
      ...(layerCache !== undefined && { layerCache }),
    };
    const { failed } = await runSteps(ctx);
    result = stopResult(stop, options) ?? (failed ? failedResult(failed) : { outcome: 'success' });
  } catch (error) {
    result = stopResult(stop, options) ?? setUpFailure(error, log);
  }
  // The job's time limit is for its steps: it must not kill the processes of SSH sessions.
  await stop.dispose();
  try {
    if (options.ssh && landing && stop.reason === undefined)
      await holdForSsh(options.ssh, landing, options.signal, log);
  } finally {
    options.ssh?.close();
  }
  // Background steps are paced until they are killed: through a rerun with SSH's wait too, which may last hours.
  pace.end();
  await endBackground(backend, primary, background, log);
  // A job that holds the project's layer cache is removed first: the next job of the project may
  // take the cache only once this job's engine is gone.
  if (options.backgroundCleanup && typeof layerCache !== 'object') {
    await options.backgroundCleanup.add(job.jobId, () =>
      cleanupAttempt(backend, job.jobId, job.attempt, options.builderName, pooled),
    );
    return result;
  }
  const cleaned = await cleanUp(backend, job, options.builderName, pooled, result, log);
  // Only once its engine is gone: two engines on one data root would corrupt it. Left held when
  // cleanup failed; the agent's next start removes the engine.
  if (typeof layerCache === 'object') {
    if (cleaned.cleanupError === undefined) layerCache.release();
    else
      log(
        "The project's layer cache stays held on this builder until the agent restarts: the job's engine may still run on it.",
      );
  }
  return cleaned;
}

/**
 * A rerun with SSH, once its steps ended: sessions land with what the steps added to the job's
 * variables (setup_remote_docker's DOCKER_HOST), and the job waits for them.
 */
async function holdForSsh(
  ssh: JobSshAccess,
  landing: () => Promise<SshLanding>,
  signal: AbortSignal | undefined,
  log: (line: string) => void,
): Promise<void> {
  await ssh.hold(signal, log, async () => {
    try {
      ssh.open(await landing());
    } catch (error) {
      log(`SSH sessions land as they did while the steps ran: ${messageOf(error)}`);
    }
  });
}

/** The project's layer cache when a `setup_remote_docker` step asks for one, or why there is none. */
function takeLayerCache(job: RunnerJob, options: RunJobOptions): TakenLayerCache | string | undefined {
  // The first such step starts the engine; a later one finds it running and changes nothing.
  const engineStep = job.spec.steps.find((step) => step.type === 'setup_remote_docker');
  if (engineStep?.type !== 'setup_remote_docker' || !engineStep.dockerLayerCaching || options.layerCaches === undefined)
    return undefined;
  return options.layerCaches.take(job.context.projectId, job.secretsWithheld === true);
}

/** Pulls the images and starts the primary (its cgroup holds the job's limits), then the services; checks for a stop in between. */
async function setUp(
  backend: JobBackend,
  job: RunnerJob,
  options: RunJobOptions,
  log: (line: string) => void,
  stop: JobStop,
  pooled: PooledResources | undefined,
): Promise<JobResources & { primary: string; services: readonly StartedService[]; tools: ImageTools }> {
  const primary = primaryOf(job, options);
  const { services } = job.spec.docker;
  checkServiceCount(services.length, options.maxServices);
  const needsHelper =
    options.helperImage !== undefined && job.spec.steps.some((step) => HELPER_STEPS.includes(step.type));
  if (job.spec.machine)
    await requireGyreImage(backend, primary.image, builderLacks(primary.image, 'GYRE_MACHINE_IMAGE'));
  const gyreImages = options.reservedImages ?? [];
  for (const image of job.spec.machine ? services : [primary, ...services]) {
    throwIfStopped(stop);
    // A registry's image of one of Gyre's names, pulled for a job, would later run as Gyre's own
    // (the engine image, with the rights it has), so those names are used only as built here.
    if (gyreImages.includes(image.image)) await requireGyreImage(backend, image.image, jobNamesGyreImage(image.image));
    else await ensureImage(backend, image.image, log, registryAuthFor(image, job.projectVariables));
  }
  // The helper runs git with the repository's credential: never a registry's image of its name.
  if (needsHelper && options.helperImage)
    await requireGyreImage(backend, options.helperImage, builderLacks(options.helperImage, 'GYRE_APP_IMAGE'));
  const labels = jobLabels(job.jobId, job.attempt, options.builderName);
  const limits = jobLimits(job.spec.resourceClass, options.room, options.hostCpus);
  const placement = { sharedCgroup: options.sharedCgroup, diskBytes: options.diskBytes };
  let resources = await createJobResources(backend, labels, limits, placement, pooled, options.resourcePool);
  throwIfStopped(stop);
  const engine = job.spec.steps.some((step) => step.type === 'setup_remote_docker') ? [REMOTE_DOCKER_HOST] : [];
  const proxy = proxyEnv(options.outbound, [
    ...services.map((service) => serviceAlias(service.image, service.name)),
    ...engine,
  ]);
  const primaryEnv = [...proxy, ...caEnv(options.outbound)];
  // Without it, the script goes in through the archive API, as it did before the volume.
  const toolsVolume = await options.toolsVolume?.name();
  let started: string;
  try {
    started = await startPrimary(backend, resources, primary, primaryEnv, toolsVolume);
  } catch (error) {
    if (pooled === undefined || !options.resourcePool || (await options.resourcePool.holds(pooled))) throw error;
    // The pool's holder was not running (the engine restarted, or someone stopped it): the job
    // makes a network of its own, as without a pool, and the pool makes new ones.
    options.resourcePool.renew();
    resources = await createJobResources(backend, labels, limits, placement, undefined, options.resourcePool);
    started = await startPrimary(backend, resources, primary, primaryEnv, toolsVolume);
  }
  const toolsKey = options.imageTools && (await toolsKeyOf(backend, primary, primaryEnv));
  // Round trips to the engine that the services need not wait for (issue 21).
  const prepared = preparePrimary(backend, started, job, options, log, toolsKey, toolsVolume !== undefined);
  const startedServices: StartedService[] = [];
  try {
    for (const service of services) {
      throwIfStopped(stop);
      const id = await startService(backend, resources, started, service, proxy);
      startedServices.push({ alias: serviceAlias(service.image, service.name), id });
    }
  } catch (error) {
    // Ended before the job does: nothing of it may write to the job's log once it completed.
    await prepared.catch(() => undefined);
    throw error;
  }
  return { ...resources, primary: started, services: startedServices, tools: await prepared };
}

/** What goes into the primary before the steps (the extra CA, `circleci tests`), and what its image has. */
async function preparePrimary(
  backend: JobBackend,
  primary: string,
  job: RunnerJob,
  options: RunJobOptions,
  log: (line: string) => void,
  toolsKey: string | undefined,
  scriptMounted: boolean,
): Promise<ImageTools> {
  // The probe's exec is sent at once, though the engine holds the container while it extracts an
  // archive and runs the exec after it; the archives go one after the other for that reason.
  const known = toolsKey === undefined ? undefined : options.imageTools?.get(toolsKey);
  const tools = known
    ? Promise.resolve(known)
    : outputOf(backend, primary, PROBE_TOOLS_ARGV)
        .then(parseToolsProbe)
        .then((probed) => {
          if (toolsKey !== undefined) options.imageTools?.set(toolsKey, probed);
          return probed;
        });
  tools.catch(() => undefined);
  const extraCa = options.outbound?.extraCa;
  if (extraCa !== undefined && !(await installExtraCa(backend, primary, extraCa)))
    log(`The image has no CA bundle Gyre knows of; SSL_CERT_FILE and the like name the builder's extra CA alone`);
  await installTestSplitting(backend, primary, job.testTimings ?? [], scriptMounted);
  return await tools;
}

/**
 * What the tools probe of the primary depends on; undefined when its image has no id to go by.
 * Only saves time: an engine that does not answer here leaves the job to probe.
 */
async function toolsKeyOf(
  backend: JobBackend,
  primary: DockerImage,
  env: readonly string[],
): Promise<string | undefined> {
  const imageId = await backend.imageId(primary.image).catch(() => undefined);
  return imageId === undefined ? undefined : ImageToolsCache.keyOf(imageId, primary.user, primaryEnvOf(primary, env));
}

/** A job names one of Gyre's own images that is not on the builder: the job's fault (another name serves it). */
const jobNamesGyreImage = (ref: string) => (): GyreError =>
  new ImageUnavailableError(
    `Image ${ref} is one of Gyre's own images, which a builder never pulls, and it is not on this builder; use another image name`,
  );

/** The job's primary image; a `machine` job's is the builder's machine image, whatever CircleCI image it names. */
function primaryOf(job: RunnerJob, options: RunJobOptions): DockerImage {
  const { primary } = job.spec.docker;
  if (!job.spec.machine) return primary;
  // The lease gives machine jobs only to builders that run them: a builder's fault, so requeued.
  if (options.machineImage === undefined)
    throw new GyreError(
      'This builder runs no machine jobs (GYRE_DOCKER_IN_BUILDS is not machine); an administrator turns the machine executor on for the builders that may run them.',
    );
  return { ...primary, image: options.machineImage };
}

function failedResult({ message, ...failedStep }: NonNullable<StepsOutcome['failed']>): JobResult {
  return { outcome: 'failed', message, failedStep };
}

class StoppedError extends Error {}

function throwIfStopped(stop: JobStop): void {
  if (stop.reason !== undefined) throw new StoppedError(stop.reason);
}

function stopResult(stop: JobStop, options: RunJobOptions): JobResult | undefined {
  if (stop.reason === 'canceled') return { outcome: 'canceled', message: 'the job was canceled' };
  if (stop.reason === 'timeout')
    return {
      outcome: 'failed',
      message: `the job exceeded its time limit of ${formatDuration(options.jobTimeoutMs ?? 0)}`,
    };
  return undefined;
}

/** A missing image or too many services is the job's fault (failed); any other set-up failure is the builder's. */
function setUpFailure(error: unknown, log: (line: string) => void): JobResult {
  const message = messageOf(error);
  log(message);
  return { outcome: error instanceof JobFaultError ? 'failed' : 'infrastructure_failed', message };
}

/** Background steps are killed at the end of the job, as in CircleCI. */
async function endBackground(
  backend: JobBackend,
  primary: string | undefined,
  background: readonly Promise<void>[],
  log: (line: string) => void,
): Promise<void> {
  if (primary === undefined || background.length === 0) return;
  try {
    await backend.exec(primary, { cmd: KILL_ALL_ARGV });
  } catch (error) {
    log(`Could not kill the background steps: ${messageOf(error)}`);
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, BACKGROUND_WAIT_MS).unref());
  await Promise.race([Promise.all(background), timeout]);
}

/** Cleanup failures do not change the outcome of the job, but they are reported with it. */
async function cleanUp(
  backend: JobBackend,
  job: Pick<RunnerJob, 'jobId' | 'attempt'>,
  builderName: string,
  pooled: PooledResources | undefined,
  result: JobResult,
  log: (line: string) => void,
): Promise<JobResult> {
  try {
    await cleanupAttempt(backend, job.jobId, job.attempt, builderName, pooled);
    return result;
  } catch (error) {
    const message = messageOf(error);
    log(message);
    return { ...result, cleanupError: message };
  }
}
