/**
 * The job backend on a Docker Engine, through dockerode. Errors are the engine's own, with their
 * `statusCode`, so that the runner can tell "gone" (404) and "not running" (409) from failures.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Readable, Transform, Writable, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { GyreError, messageOf } from '../shared/errors.js';
import { engineErrorMessage, HelperExitError, statusCodeOf } from './errors.js';
import type { ContainerSpec, ExecRequest, JobBackend, RegistryAuth, StreamedContainer } from './job-backend.js';
import { CHANNEL_SERVER, openChannel } from './helper-channel.js';
import { MultiplexedOutput } from './multiplexed-output.js';
import type { EngineInfo } from './types.js';

/** A streamed helper's stdin and the callback for its stderr. */
interface HelperIo {
  readonly stdin?: Readable;
  readonly onStderr: (data: Buffer) => void;
}

/** docker-modem's demultiplexer; dockerode types `container.modem` as `any`. */
interface Demuxer {
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

/** How much of a helper's stderr a failure quotes. */
const STDERR_TAIL_CHARS = 2_000;

export class DockerJobBackend implements JobBackend {
  /** Set once a helper's channel could not be opened: this builder does not reach the engine's networks. */
  private channelUnreachable = false;

  constructor(private readonly docker: Dockerode) {}

  async info(): Promise<EngineInfo> {
    const info = (await this.docker.info()) as { NCPU: number; MemTotal: number; Name: string; ServerVersion: string };
    return { cpus: info.NCPU, memoryBytes: info.MemTotal, name: info.Name, serverVersion: info.ServerVersion };
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw error;
    }
  }

  async pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    const stream = await this.docker.pull(ref, auth ? { authconfig: { ...auth } } : {});
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  }

  async createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { ...labels }, CheckDuplicate: true });
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: { ...labels } });
  }

  async startContainer(spec: ContainerSpec): Promise<string> {
    const container = await this.docker.createContainer(createOptions(spec));
    await container.start();
    return container.id;
  }

  async runContainer(spec: ContainerSpec, onOutput: (data: Buffer) => void): Promise<number> {
    const stdin = spec.stdin;
    const container = await this.docker.createContainer({
      ...createOptions(spec),
      ...(stdin && { OpenStdin: true, StdinOnce: true, AttachStdin: true }),
    });
    try {
      const stream = await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
        ...(stdin && { stdin: true, hijack: true }),
      });
      const output = demux(container, stream, onOutput);
      await container.start();
      // Closing our end closes the container's stdin (StdinOnce); its output still comes back.
      if (stdin) stream.end(stdin);
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await output;
      return StatusCode;
    } finally {
      await container.remove({ force: true });
    }
  }

  streamContainer(spec: ContainerSpec, io: HelperIo): StreamedContainer {
    const stdout = new PassThrough();
    this.runHelper(spec, io, stdout).catch((error: unknown) => stdout.destroy(error as Error));
    return { stdout };
  }

  /** Over a TCP channel when the helper is on a network this builder reaches; else through attach. */
  private async runHelper(spec: ContainerSpec, io: HelperIo, stdout: PassThrough): Promise<void> {
    if (spec.network !== undefined && spec.network.name !== 'none' && !this.channelUnreachable) {
      if (await this.runStreamed(spec, io, stdout, randomBytes(24).toString('hex'))) return;
      // Remembered, so that later helpers do not wait for a channel that cannot open either.
      this.channelUnreachable = true;
    }
    await this.runStreamed(spec, io, stdout);
  }

  /**
   * Runs the helper with stdin and stdout over the channel `token` opens (helper-channel.ts), or
   * over the attach stream without one; stderr always comes through attach. False when the channel
   * could not be opened (nothing of stdin was read, and the helper is removed).
   */
  private async runStreamed(spec: ContainerSpec, io: HelperIo, stdout: PassThrough, token?: string): Promise<boolean> {
    const { stdin } = io;
    const options = createOptions(spec);
    const container = await this.docker.createContainer({
      ...options,
      ...(token !== undefined && {
        Entrypoint: ['node', '-e', CHANNEL_SERVER],
        Cmd: [...(spec.entrypoint ?? []), ...(spec.cmd ?? [])],
        Env: [...(options.Env ?? []), `GYRE_CHANNEL_TOKEN=${token}`],
      }),
      // Logged, every byte of stdout would also be written to the engine's disk as it passes.
      HostConfig: { ...options.HostConfig, LogConfig: { Type: 'none', Config: {} } },
      ...(stdin && token === undefined && { OpenStdin: true, StdinOnce: true, AttachStdin: true }),
    });
    // Removed before stdout ends or fails, so nothing of the helper is left once its reader is
    // done: the job's cleanup, which removes what carries its labels, may follow at once.
    let removal: Promise<void> | undefined;
    const remove = () => (removal ??= container.remove({ force: true }).then(() => undefined));
    let stderrTail = '';
    /** The container's end: its own failure, once it exited, is what a broken stream is reported as. */
    const ended = async (): Promise<Error | undefined> => {
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await remove();
      return StatusCode === 0 ? undefined : new HelperExitError(StatusCode, stderrTail);
    };
    const failIfFailed = async (): Promise<void> => {
      const failure = await ended();
      if (failure) throw failure;
    };
    const brokenBy = (error: Error): void =>
      void ended().then(
        (failure) => stdout.destroy(failure ?? error),
        () => stdout.destroy(error),
      );
    const frames = new MultiplexedOutput({
      onStderr: (data) => {
        stderrTail = `${stderrTail}${data.toString('utf8')}`.slice(-STDERR_TAIL_CHARS);
        io.onStderr(data);
      },
      ...(token === undefined && { beforeEnd: failIfFailed }),
    });
    const attached = (await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      ...(stdin && token === undefined && { stdin: true, hijack: true }),
    })) as unknown as Duplex;
    const open: { channel?: Socket } = {};
    // A reader that gave up early (the cache key was taken first) leaves a helper still writing.
    stdout.once('close', () => {
      attached.destroy();
      open.channel?.destroy();
      void remove().catch(() => undefined);
    });
    // A helper that stops reading its stdin early (tar refused a path) breaks the connection
    // while it is fed; its exit code and stderr say why, the broken pipe does not.
    attached.once('error', brokenBy);
    frames.once('error', (error) => stdout.destroy(error));
    await container.start();
    if (token === undefined) {
      attached.pipe(frames).pipe(stdout);
      // Ending our side closes the container's stdin (StdinOnce); its output still comes back.
      if (stdin) feed(stdin, attached, stdout);
      return true;
    }
    attached.pipe(frames).resume();
    const address = await addressOn(container, spec.network!.name);
    const channel = address === undefined ? undefined : await openChannel(address, token);
    open.channel = channel;
    if (channel === undefined) {
      await remove();
      return false;
    }
    const passOn = new Transform({
      transform: (chunk: Buffer, _encoding, done) => done(null, chunk),
      flush: (done) => void failIfFailed().then(() => done(), done),
    });
    channel.once('error', brokenBy);
    // The helper's stdout ended: ending our side too lets its channel close and the helper exit.
    channel.once('end', () => channel.end());
    passOn.once('error', (error) => stdout.destroy(error));
    channel.pipe(passOn).pipe(stdout);
    if (stdin) feed(stdin, channel, stdout);
    return true;
  }

  async exec(containerId: string, request: ExecRequest): Promise<number> {
    const container = this.docker.getContainer(containerId);
    const exec = await container.exec({
      Cmd: [...request.cmd],
      Env: [...(request.env ?? [])],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await demux(container, stream, request.onOutput ?? (() => undefined));
    return await exitCodeOf(exec);
  }

  async getArchive(containerId: string, path: string): Promise<Readable> {
    return (await this.docker.getContainer(containerId).getArchive({ path })) as unknown as Readable;
  }

  async hasPath(containerId: string, path: string): Promise<boolean> {
    try {
      // dockerode answers this HEAD as a stream; it must be consumed, or its socket stays open
      // and keeps the agent's process alive after it drained.
      const answer: unknown = await this.docker.getContainer(containerId).infoArchive({ path });
      if (answer instanceof Readable) answer.resume();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw error;
    }
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    // Owners are as the tar says: the engine's copyUIDGID needs the user in the image's
    // /etc/passwd, which a numeric `user: 1000:1000` need not be, so callers set them instead.
    const answer: unknown = await this.docker.getContainer(containerId).putArchive(tar, { path });
    // The engine's empty answer, if dockerode hands it over as a stream, is drained so the socket frees.
    if (answer instanceof Readable) answer.resume();
  }

  async removeByLabels(labels: Readonly<Record<string, string>>, owner: string): Promise<void> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([label, value]) => `${label}=${value}`) });
    const errors: unknown[] = [];
    const containers = await this.docker.listContainers({ all: true, filters });
    for (const c of containers)
      await removing(errors, `container ${c.Id.slice(0, 12)}`, () =>
        this.docker.getContainer(c.Id).remove({ force: true, v: true }),
      );
    const networks = await this.docker.listNetworks({ filters });
    for (const n of networks) await removing(errors, `network ${n.Name}`, () => this.docker.getNetwork(n.Id).remove());
    const volumes = (await this.docker.listVolumes({ filters })).Volumes ?? [];
    for (const v of volumes) await removing(errors, `volume ${v.Name}`, () => this.docker.getVolume(v.Name).remove());
    if (errors.length > 0) {
      const lines = errors.map((e) => `  - ${messageOf(e)}`).join('\n');
      throw new GyreError(`Cleanup of ${owner} failed for ${errors.length} object(s):\n${lines}`, undefined, {
        cause: new AggregateError(errors),
      });
    }
  }
}

function createOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const limits = spec.limits;
  return {
    Image: spec.image,
    Env: [...(spec.env ?? [])],
    ...(spec.entrypoint && { Entrypoint: [...spec.entrypoint] }),
    ...(spec.cmd && { Cmd: [...spec.cmd] }),
    ...(spec.user !== undefined && { User: spec.user }),
    Labels: { ...spec.labels },
    HostConfig: {
      ...(spec.network && { NetworkMode: spec.network.name }),
      ...(spec.pidOf !== undefined && { PidMode: `container:${spec.pidOf}` }),
      ...(spec.volumes && {
        Mounts: spec.volumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target })),
      }),
      ...(limits && limits.cpus > 0 && { NanoCpus: Math.round(limits.cpus * 1e9) }),
      ...(limits && limits.memoryBytes > 0 && { Memory: limits.memoryBytes }),
      ...(limits && { PidsLimit: limits.pids }),
    },
    ...(spec.network?.aliases && {
      NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: [...spec.network.aliases] } } },
    }),
  };
}

/** Reads a multiplexed attach or exec stream to its end, passing on stdout and stderr as they come. */
async function demux(
  container: Dockerode.Container,
  stream: NodeJS.ReadableStream,
  onOutput: (data: Buffer) => void,
): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      onOutput(chunk);
      done();
    },
  });
  await new Promise<void>((resolve, reject) => {
    (container.modem as Demuxer).demuxStream(stream, sink, sink);
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
}

/** The stream can end a moment before the engine records the exit, so wait briefly for it. */
async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    const info = await exec.inspect();
    if (!info.Running || tries >= 100) return info.ExitCode ?? -1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs one removal; a 404 means someone else removed it already, which is the goal. */
async function removing(errors: unknown[], what: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (statusCodeOf(error) === 404) return;
    // 409 on a forced removal: another one is under way (a helper removed as its stream ends).
    // Removing again once it is done answers 404, or says what really stands in the way.
    if (statusCodeOf(error) === 409 && (await removedLater(remove))) return;
    errors.push(new GyreError(`removing ${what}: ${engineErrorMessage(error)}`, undefined, { cause: error }));
  }
}

/** Tries `remove` again a few times over about 2 s; true once the object is gone (404 or removed). */
async function removedLater(remove: () => Promise<unknown>): Promise<boolean> {
  for (let tries = 0; tries < 10; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      await remove();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return true;
      if (statusCodeOf(error) !== 409) return false;
    }
  }
  return false;
}

/** Streams `stdin` into the helper and ends it there; its failure fails the helper's stdout. */
function feed(stdin: Readable, into: NodeJS.WritableStream, stdout: PassThrough): void {
  stdin.once('error', (error) => stdout.destroy(error));
  stdin.pipe(into);
}

/** The container's address on `network`, where the builder reaches it. */
async function addressOn(container: Dockerode.Container, network: string): Promise<string | undefined> {
  const info = await container.inspect();
  return info.NetworkSettings.Networks[network]?.IPAddress || undefined;
}
