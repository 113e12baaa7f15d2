/**
 * `setup_remote_docker`: a Docker engine of the job's own, as CircleCI's remote Docker is. It runs
 * in a container of the engine image (images/engine): Debian's dockerd, rootless, on the job's
 * network under the alias `remote-docker`, with a data volume of its own and TLS that asks for the
 * job's client certificate. It shares the job's limits (in the job's cgroup where the engine nests
 * cgroups, else limits of its own; see inJobCgroup), carries the job's labels (cleanup removes it
 * with the job, or after a crash), and never sees the builder host's engine or files.
 *
 * An engine that does not start or answer is the builder's fault (the job cannot change how it
 * starts), so the step throws and the job ends `infrastructure_failed`, to be retried; a client
 * certificate the primary cannot take fails the step, as the primary is the job's.
 * See docs/design/docker-in-builds.md.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import { GyreError, messageOf } from '../../shared/errors.js';
import { builderObjectLabels, LABELS } from '../../shared/labels.js';
import type { ContainerOwner } from './data-steps/container-paths.js';
import { eachEntry, nodeStream } from '../../shared/tar-streams.js';
import { failed, SUCCEEDED, type DataStepEnd } from './data-steps/data-step-context.js';
import { builderLacks, requireGyreImage, type HelperPlacement, type JobResources } from './environment-setup.js';
import type { SetupRemoteDockerStep } from './types.js';

/** The engine's name on the job's network, in DOCKER_HOST and in its server certificate. */
export const REMOTE_DOCKER_HOST = 'remote-docker';
const ENGINE_PORT = 2376;
/** Where the engine keeps images and containers (the engine user's rootless data root). */
const ENGINE_DATA = '/home/engine/.local/share/docker';
/** Where the engine image's entrypoint writes its CA and the job's client certificate. */
const ENGINE_CERTS = '/certs';
/** Where the primary gets the client certificate: DOCKER_CERT_PATH. */
export const DOCKER_CERT_PATH = '/tmp/docker-certs';
const CLIENT_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
/** How long the engine may take to answer; a cold start takes a few seconds. */
const READY_TIMEOUT_S = 120;

/** What the step needs of the job. */
export interface RemoteDockerContext {
  readonly backend: JobBackend;
  readonly primary: string;
  readonly resources: Pick<JobResources, 'network' | 'volume' | 'labels'>;
  /** The engine's share of the job's limits (see `inJobCgroup`). */
  readonly placement: HelperPlacement;
  /** The volume of the engine's data root: the project's layer cache. @default one of the job's own, removed with it */
  readonly dataVolume?: string;
  /** The engine image; undefined on a builder that offers no Docker in builds. */
  readonly engineImage: string | undefined;
  /** The primary's user, who gets the client certificate. */
  readonly owner: ContainerOwner;
  /** The builder's proxy variables, for the engine's pulls. */
  readonly proxyEnv: readonly string[];
  log(line: string): void;
}

/** How the step ended, and the variables that point later steps at the engine. */
export interface RemoteDockerEnd extends DataStepEnd {
  readonly environment?: Readonly<Record<string, string>>;
}

/** Starts the engine and hands the primary its client certificate; throws when the engine fails (see above). */
export async function setupRemoteDocker(
  ctx: RemoteDockerContext,
  step: SetupRemoteDockerStep,
): Promise<RemoteDockerEnd> {
  // The lease gives such jobs only to builders that offer Docker in builds.
  if (ctx.engineImage === undefined)
    throw engineFailure(
      ctx,
      'this builder offers no Docker in builds (GYRE_DOCKER_IN_BUILDS is off); an administrator turns it on for the builders that may run such jobs',
    );
  const files = await startReadyEngine(ctx, ctx.engineImage);
  try {
    await handOverClientCertificate(ctx, files);
  } catch (error) {
    return failed(
      ctx,
      `setup_remote_docker could not put the client certificate into ${DOCKER_CERT_PATH}: ${messageOf(error)}`,
    );
  }
  describe(ctx, step);
  return {
    ...SUCCEEDED,
    environment: {
      DOCKER_HOST: `tcp://${REMOTE_DOCKER_HOST}:${ENGINE_PORT}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH,
    },
  };
}

/**
 * Starts an engine as a job gets one, waits until it answers, and removes it: the builder's start
 * check that rootless engines run on its host (a kernel that forbids unprivileged user namespaces
 * would fail every such job). Throws GyreError saying what failed. Its objects carry the builder's
 * labels, so a check cut short by a crash is cleaned up at the next start.
 */
export async function checkEngineStarts(backend: JobBackend, image: string, builderName: string): Promise<void> {
  const labels = { ...builderObjectLabels(builderName), [LABELS.check]: 'engine' };
  const name = `gyre-engine-check-${randomBytes(4).toString('hex')}`;
  try {
    await backend.createNetwork(name, labels);
    await startReadyEngine(
      {
        backend,
        primary: '',
        resources: { network: name, volume: name, labels },
        placement: {},
        engineImage: image,
        owner: { uid: 0, gid: 0 },
        proxyEnv: [],
        log: () => undefined,
      },
      image,
    );
  } finally {
    await backend.removeByLabels(labels, "the engine's start check");
  }
}

/** Starts the engine and waits until it answers; its client certificate's files by name. */
async function startReadyEngine(ctx: RemoteDockerContext, image: string): Promise<Map<string, string>> {
  let ready: number;
  let files = new Map<string, string>();
  try {
    const engine = await startEngine(ctx, image);
    ready = await waitUntilReady(ctx, engine);
    if (ready === 0 && ctx.dataVolume !== undefined) await removeEarlierContainers(ctx, engine);
    if (ready === 0) files = await clientFilesOf(ctx, engine);
  } catch (error) {
    throw engineFailure(ctx, `setup_remote_docker could not start the job's Docker engine: ${messageOf(error)}`);
  }
  if (ready !== 0)
    throw engineFailure(ctx, `the job's Docker engine did not answer within ${READY_TIMEOUT_S} s (exit ${ready})`);
  const missing = CLIENT_FILES.filter((name) => !files.has(name));
  if (missing.length > 0) throw engineFailure(ctx, `the engine wrote no ${missing.join(', ')} into ${ENGINE_CERTS}`);
  return files;
}

/** Said in the step's log too, which is where the job's reader looks. */
function engineFailure(ctx: RemoteDockerContext, message: string): GyreError {
  ctx.log(`${message}; the builder is at fault, so the job is retried`);
  return new GyreError(message);
}

async function startEngine(ctx: RemoteDockerContext, image: string): Promise<string> {
  await requireGyreImage(ctx.backend, image, builderLacks(image, 'GYRE_ENGINE_IMAGE'));
  const volume = ctx.dataVolume ?? `${ctx.resources.volume}-engine`;
  if (ctx.dataVolume === undefined) await ctx.backend.createVolume(volume, ctx.resources.labels);
  return ctx.backend.startContainer({
    image,
    labels: ctx.resources.labels,
    network: { name: ctx.resources.network, aliases: [REMOTE_DOCKER_HOST] },
    volumes: [{ name: volume, target: ENGINE_DATA }],
    env: [`GYRE_ENGINE_NAME=${REMOTE_DOCKER_HOST}`, ...ctx.proxyEnv],
    rootlessEngine: true,
    ...ctx.placement,
  });
}

/** The engine's client variables, for commands run in its own container (as `engine`, never root). */
const LOCAL_CLIENT = `DOCKER_HOST=tcp://localhost:${ENGINE_PORT} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${ENGINE_CERTS}`;

/**
 * A layer cache keeps a data root's containers too: those an earlier job started with a restart
 * policy come back with the engine. They are removed before the job gets it, so nothing of one
 * job keeps running into the next (its images and build cache stay).
 */
async function removeEarlierContainers(ctx: RemoteDockerContext, engine: string): Promise<void> {
  const exitCode = await ctx.backend.exec(engine, {
    user: 'engine',
    // No pipe: sh has no pipefail, and a failed listing must not read as nothing to remove.
    cmd: [
      '/bin/sh',
      '-c',
      `ids=$(${LOCAL_CLIENT} docker ps -aq) || exit 1; [ -z "$ids" ] || ${LOCAL_CLIENT} docker rm -f $ids >/dev/null`,
    ],
  });
  if (exitCode !== 0)
    throw new Error(`the containers an earlier job left in the layer cache could not be removed (exit ${exitCode})`);
}

/** Asks the engine, from inside its container and with the client certificate, until it answers. */
function waitUntilReady(ctx: RemoteDockerContext, engine: string): Promise<number> {
  const ask = `${LOCAL_CLIENT} docker version`;
  return ctx.backend.exec(engine, {
    // Not root: with /proc unmasked, a root process could write the host's sysctls.
    user: 'engine',
    cmd: [
      'timeout',
      String(READY_TIMEOUT_S),
      '/bin/sh',
      '-c',
      `until [ -s ${ENGINE_CERTS}/key.pem ] && ${ask} >/dev/null 2>&1; do sleep 0.2; done`,
    ],
  });
}

/** The CA and the client certificate and key that the engine's entrypoint wrote. */
async function clientFilesOf(ctx: RemoteDockerContext, engine: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await eachEntry(await ctx.backend.getArchive(engine, ENGINE_CERTS), async (header, body) => {
    const name = posix.basename(header.name);
    if (header.type === 'file' && (CLIENT_FILES as readonly string[]).includes(name)) files.set(name, await text(body));
  });
  return files;
}

/** Copies the client's files into DOCKER_CERT_PATH, the key readable by the job's user alone. */
async function handOverClientCertificate(ctx: RemoteDockerContext, files: ReadonlyMap<string, string>): Promise<void> {
  const out = pack();
  const root = DOCKER_CERT_PATH.slice(1);
  out.entry({ name: root, type: 'directory', mode: 0o700, ...ctx.owner });
  for (const [name, body] of files)
    out.entry({ name: `${root}/${name}`, mode: name === 'key.pem' ? 0o600 : 0o644, ...ctx.owner }, body);
  out.finalize();
  await ctx.backend.putArchive(ctx.primary, '/', nodeStream(out));
}

function describe(ctx: RemoteDockerContext, step: SetupRemoteDockerStep): void {
  ctx.log(
    `A Docker engine of this job's own is ready at tcp://${REMOTE_DOCKER_HOST}:${ENGINE_PORT} (rootless, TLS with a client certificate in ${DOCKER_CERT_PATH}); DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH are set for the later steps. Ports its containers publish are reached at ${REMOTE_DOCKER_HOST}:PORT.`,
  );
  if (step.version !== undefined)
    ctx.log(`version ${step.version} was asked for: this builder runs the Docker engine of its engine image.`);
}
