/**
 * Runs a job's steps in its primary container, in order, with CircleCI's `when` rules,
 * background steps and the no-output timeout.
 */
import { createJobNetwork } from './resource-pool.js';
import { messageOf } from '../../shared/errors.js';
import type { JobBackend } from '../../docker/index.js';
import { formatDuration } from '../../shared/durations.js';
import { stepEnvironment, toEnvList } from './environment.js';
import { runCheckout } from './checkout.js';
import { runDataStep, type DataStep } from './data-steps/run-data-step.js';
import { parsePlacesProbe, PROBE_PLACES_ARGV } from './data-steps/container-paths.js';
import { inJobCgroup, type JobResources } from './environment-setup.js';
import type { JobStop } from './job-stop.js';
import type { OutputPace } from './output-pace.js';
import { DEFAULT_WORKING_DIRECTORY, killStepArgv, shellArgv, stepExecArgv, type ImageTools } from './shell.js';
import { shouldRunStep, stepName } from './steps.js';
import { addGitHubKnownHosts } from './known-hosts.js';
import { addSshKeys } from './ssh-keys.js';
import { setupRemoteDocker } from './remote-docker.js';
import type { TakenLayerCache } from './layer-cache.js';
import { proxyEnv } from './outbound.js';
import type {
  AddSshKeysStep,
  FailedStep,
  RunJobOptions,
  CheckoutStep,
  RunnerJob,
  RunStep,
  RunnerSink,
  SetupRemoteDockerStep,
  Step,
} from './types.js';

/** Everything the steps of one job share. */
export interface StepContext {
  readonly job: RunnerJob;
  readonly sink: RunnerSink;
  readonly options: RunJobOptions;
  readonly backend: JobBackend;
  /** The primary container's id. */
  readonly primary: string;
  /** The job's workspace volume and labels, for helper containers. */
  readonly resources: JobResources;
  readonly tools: ImageTools;
  readonly stop: JobStop;
  /** Whether steps' output may wait for the sink. */
  readonly pace: OutputPace;
  /** Background steps still running; the job waits for them after killing them. */
  readonly background: Promise<void>[];
  /** Variables earlier steps set for the later ones (`setup_remote_docker`'s DOCKER_HOST). */
  readonly addedEnvironment: Record<string, string>;
  /** The project's layer cache this job holds for `docker_layer_caching`, or why it has none. */
  readonly layerCache?: TakenLayerCache | string;
}

/** How one step ended. */
interface StepEnd {
  readonly exitCode: number;
  /** Why the step failed, when its exit code alone does not say. */
  readonly reason?: string;
}

/** The first failing step and why, if any. */
export interface StepsOutcome {
  readonly failed?: FailedStep & { readonly message: string };
}

/** Runs the steps until the end or a stop; returns the step that failed the job. */
export async function runSteps(ctx: StepContext): Promise<StepsOutcome> {
  let failed: StepsOutcome['failed'];
  for (const [position, step] of ctx.job.spec.steps.entries()) {
    if (ctx.stop.reason !== undefined) break;
    const when = 'when' in step ? step.when : 'on_success';
    if (!shouldRunStep(when, failed !== undefined)) continue;
    const index = position + 1;
    const name = stepName(step);
    ctx.sink.step({ index, name, status: 'started' });
    const end = await runStep(ctx, step, index);
    if (end === undefined) continue;
    ctx.sink.step({ index, name, status: 'finished', exitCode: end.exitCode });
    if (end.exitCode !== 0 && failed === undefined && ctx.stop.reason === undefined) {
      const why = end.reason ?? `exited with ${end.exitCode}`;
      failed = { index, name, exitCode: end.exitCode, message: `step ${index} \`${name}\` ${why}` };
    }
  }
  return { failed };
}

/** Runs one step; `undefined` for a background step, which reports its own end. */
async function runStep(ctx: StepContext, step: Step, index: number): Promise<StepEnd | undefined> {
  if (step.type === 'checkout') return checkout(ctx, step, index);
  if (step.type === 'add_ssh_keys') return sshKeys(ctx, step, index);
  if (step.type === 'setup_remote_docker') return remoteDocker(ctx, step, index);
  if (step.type !== 'run') return dataStep(ctx, step, index);
  if (!step.background) return runProcess(ctx, step, index);
  const done = runProcess(ctx, step, index).then(
    (end) => ctx.sink.step({ index, name: step.name, status: 'finished', exitCode: end.exitCode }),
    (error: unknown) => note(ctx, index, `background step failed to run: ${messageOf(error)}`),
  );
  ctx.background.push(done);
  return undefined;
}

/** Checkout runs git in the agent's image (ARCHITECTURE), so it cannot run without one. */
async function checkout(ctx: StepContext, step: CheckoutStep, index: number): Promise<StepEnd> {
  const helperImage = ctx.options.helperImage;
  if (helperImage === undefined) {
    const reason = 'failed: checkout needs the helper image (RunJobOptions.helperImage), and none was given';
    note(ctx, index, reason);
    return { exitCode: 1, reason };
  }
  // A network of the checkout's own, for the clone only: a job bridge, so the egress policy judges
  // the clone as it judges the steps, but with none of the job's containers on it, whose names
  // (the config chooses them) would otherwise answer for the git host's and take the credential.
  // Removed at once: every job network takes one of the engine's few address pools.
  const network = `${ctx.resources.network}-checkout-${index}`;
  await createJobNetwork(ctx.backend, network, ctx.resources.labels, ctx.options.resourcePool);
  const request = {
    backend: ctx.backend,
    primary: ctx.primary,
    helperImage,
    volume: ctx.resources.volume,
    network,
    labels: ctx.resources.labels,
    placement: inJobCgroup(ctx.resources, ctx.primary),
    proxyEnv: proxyEnv(ctx.options.outbound, []),
    ...(ctx.options.outbound?.extraCa !== undefined && { extraCa: ctx.options.outbound.extraCa }),
    sink: ctx.sink,
  };
  let exitCode: number;
  try {
    exitCode = await runCheckout(request, ctx.job, step, index);
  } finally {
    // Left behind, it goes with the job's other objects, by its labels.
    await ctx.backend.removeNetwork(network).catch(() => undefined);
  }
  if (exitCode === 0) await trustGitHub(ctx, index);
  return { exitCode };
}

/**
 * GitHub's host keys into `~/.ssh/known_hosts`, as CircleCI's checkout does. Best effort: a job
 * that never uses ssh must not fail for an odd `~/.ssh`, so a problem is a line in the log.
 */
async function trustGitHub(ctx: StepContext, index: number): Promise<void> {
  try {
    const { home, uid, gid } = await containerPlaces(ctx);
    if (!(await ctx.backend.hasPath(ctx.primary, home))) return;
    const problem = await addGitHubKnownHosts({
      backend: ctx.backend,
      primary: ctx.primary,
      home,
      owner: { uid, gid },
    });
    if (problem !== undefined) note(ctx, index, `GitHub's host keys were not added to ~/.ssh/known_hosts: ${problem}`);
  } catch (error) {
    note(ctx, index, `GitHub's host keys were not added to ~/.ssh/known_hosts: ${messageOf(error)}`);
  }
}

/** Data steps move files through the services box, so they need the job's transfers. */
async function dataStep(ctx: StepContext, step: DataStep, index: number): Promise<StepEnd> {
  const log = (line: string): void => note(ctx, index, line);
  const transfers = ctx.job.transfers;
  if (transfers === undefined) {
    const reason = `${step.type} needs a connection to the services box (RunnerJob.transfers), and none was given`;
    log(reason);
    return { exitCode: 1, reason: `failed: ${reason}` };
  }
  const { arch, uid, gid, ...places } = await containerPlaces(ctx);
  const helperImage = ctx.options.helperImage;
  return runDataStep(
    {
      backend: ctx.backend,
      primary: ctx.primary,
      transfers,
      places,
      owner: { uid, gid },
      arch,
      job: ctx.job,
      ...(helperImage !== undefined && {
        helper: {
          image: helperImage,
          labels: ctx.resources.labels,
          network: ctx.resources.network,
          placement: inJobCgroup(ctx.resources, ctx.primary),
        },
      }),
      log,
    },
    step,
  );
}

async function sshKeys(ctx: StepContext, step: AddSshKeysStep, index: number): Promise<StepEnd> {
  const { home, uid, gid } = await containerPlaces(ctx);
  const log = (line: string): void => note(ctx, index, line);
  return addSshKeys({ backend: ctx.backend, primary: ctx.primary, job: ctx.job, home, owner: { uid, gid }, log }, step);
}

async function remoteDocker(ctx: StepContext, step: SetupRemoteDockerStep, index: number): Promise<StepEnd> {
  // Orbs' commands repeat the step; a second engine under the same name would split its answers.
  if (ctx.addedEnvironment['DOCKER_HOST'] !== undefined) {
    note(ctx, index, `The job's Docker engine already runs at ${ctx.addedEnvironment['DOCKER_HOST']}.`);
    return { exitCode: 0 };
  }
  const { uid, gid } = await containerPlaces(ctx);
  const log = (line: string): void => note(ctx, index, line);
  const cache = step.dockerLayerCaching ? await layerCacheVolume(ctx, log) : undefined;
  const setup = setupRemoteDocker(
    {
      backend: ctx.backend,
      primary: ctx.primary,
      resources: ctx.resources,
      ...(cache !== undefined && { dataVolume: cache }),
      placement: inJobCgroup(ctx.resources, ctx.primary),
      engineImage: ctx.options.engineImage,
      owner: { uid, gid },
      proxyEnv: proxyEnv(ctx.options.outbound, []),
      log,
    },
    step,
  );
  const end = await setup.catch((error: unknown) => {
    if (cache !== undefined) ctx.options.layerCaches?.distrust(ctx.job.context.projectId);
    throw error;
  });
  Object.assign(ctx.addedEnvironment, end.environment);
  return end;
}

/** The volume of the project's layer cache, made or emptied as its cap says; undefined (logged why) when the job has none. */
async function layerCacheVolume(ctx: StepContext, log: (line: string) => void): Promise<string | undefined> {
  const cache =
    ctx.layerCache ?? 'this builder keeps no layer caches (GYRE_LAYER_CACHE_SIZE is off); the engine starts empty';
  if (typeof cache === 'string' || ctx.options.layerCaches === undefined) {
    log(`docker_layer_caching: ${typeof cache === 'string' ? cache : 'the engine starts empty'}.`);
    return undefined;
  }
  return ctx.options.layerCaches.prepare(ctx.backend, cache.volume, ctx.job.context.projectId, log);
}

/** Where the primary container's home and working directory are, and who its user is. */
async function containerPlaces(ctx: StepContext): Promise<ReturnType<typeof parsePlacesProbe>> {
  return parsePlacesProbe(
    await outputOf(ctx.backend, ctx.primary, PROBE_PLACES_ARGV),
    ctx.job.spec.workingDirectory || DEFAULT_WORKING_DIRECTORY,
  );
}

/** Runs a `run` step's process, killing its session when it is silent for too long. */
async function runProcess(ctx: StepContext, step: RunStep, index: number): Promise<StepEnd> {
  const shell = shellArgv(ctx.tools, step.shell, ctx.job.spec.shell);
  const dir = step.workingDirectory ?? (ctx.job.spec.workingDirectory || DEFAULT_WORKING_DIRECTORY);
  let silentFor: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  // A wait for room that ends after the step must not arm a timer that nothing clears.
  let over = false;
  let waits = 0;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silentFor = step.noOutputTimeoutMs;
      void killSilentStep(ctx, index);
    }, step.noOutputTimeoutMs);
  };
  arm();
  try {
    const exitCode = await ctx.backend.exec(ctx.primary, {
      cmd: stepExecArgv(ctx.tools, shell, step.command, dir, index),
      env: toEnvList(stepEnvironment(ctx.job, step, ctx.addedEnvironment)),
      onOutput: (data) => {
        ctx.sink.log(index, data);
        const room = ctx.pace.wait(ctx.sink);
        // The step is not silent while its output waits for the services box to take more (a
        // later frame of the same read may find room, but the reading stays paused until all waits end).
        if (!room) {
          if (waits === 0) arm();
          return undefined;
        }
        waits += 1;
        clearTimeout(timer);
        return room.then(() => {
          waits -= 1;
          if (!over && waits === 0) arm();
        });
      },
    });
    if (silentFor === undefined) return { exitCode };
    const reason = `was killed after ${formatDuration(silentFor)} without output (no_output_timeout)`;
    note(ctx, index, `Too long with no output: the step ${reason}`);
    return { exitCode: exitCode === 0 ? 137 : exitCode, reason };
  } finally {
    over = true;
    clearTimeout(timer);
  }
}

/** A failed kill is logged: the step then runs on until the job's own limit or cancel. */
async function killSilentStep(ctx: StepContext, index: number): Promise<void> {
  try {
    await ctx.backend.exec(ctx.primary, { cmd: killStepArgv(ctx.tools, index, 'KILL') });
  } catch (error) {
    note(ctx, index, `could not kill the silent step: ${messageOf(error)}`);
  }
}

/** A line from the runner itself in a step's log. */
export function note(ctx: Pick<StepContext, 'sink'>, index: number, line: string): void {
  ctx.sink.log(index, Buffer.from(`${line}\n`));
}

/** A short probe's output (stdout and stderr together). */
export async function outputOf(backend: JobBackend, container: string, cmd: readonly string[]): Promise<string> {
  const chunks: Buffer[] = [];
  await backend.exec(container, { cmd, onOutput: (data) => void chunks.push(data) });
  return Buffer.concat(chunks).toString('utf8');
}
