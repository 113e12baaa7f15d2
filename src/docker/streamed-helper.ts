/**
 * `JobBackend.streamContainer` on a Docker Engine: a helper container whose stdin and stdout are
 * byte streams. They go over the helper's TCP channel (helper-channel.ts) where this builder
 * reaches the helper's network, else over the engine's attach stream; stderr always comes through
 * attach. The helper is removed before its stdout ends or fails, so the job's cleanup, which
 * removes what carries its labels, may follow at once.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Transform, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { HelperExitError } from './errors.js';
import { CHANNEL_SERVER, openChannel } from './helper-channel.js';
import type { ContainerSpec, HelperIo, StreamedContainer } from './job-backend.js';
import { MultiplexedOutput } from './multiplexed-output.js';

/** How much of a helper's stderr a failure quotes. */
const STDERR_TAIL_CHARS = 2_000;
/** How long a broken stream waits for the helper's own exit code before it is removed. */
const BROKEN_WAIT_MS = 5_000;

/** How one try went: done (whatever the reader saw), or the channel did not open. */
type Outcome = 'done' | 'unreachable' | 'refused';

export class StreamedHelpers {
  /** Set once a helper's address could not be reached at all: this builder is not on the engine's host. */
  private channelUnreachable = false;

  constructor(
    private readonly docker: Dockerode,
    private readonly createOptions: (spec: ContainerSpec) => Dockerode.ContainerCreateOptions,
  ) {}

  start(spec: ContainerSpec, io: HelperIo): StreamedContainer {
    const stdout = new PassThrough();
    // Heard from the start: a download that fails before the helper runs must not go unheard.
    io.stdin?.on('error', (error) => stdout.destroy(error));
    this.run(spec, io, stdout).catch((error: unknown) => stdout.destroy(error as Error));
    return { stdout };
  }

  private async run(spec: ContainerSpec, io: HelperIo, stdout: PassThrough): Promise<void> {
    if (spec.network !== undefined && spec.network.name !== 'none' && !this.channelUnreachable) {
      const outcome = await this.runOnce(spec, io, stdout, randomBytes(24).toString('hex'));
      if (outcome === 'done') return;
      // Refused means the helper's address answered (its server died or was slow): the next
      // helper tries the channel again. Unreachable is remembered, so later ones do not wait.
      if (outcome === 'unreachable') this.channelUnreachable = true;
      if (stdout.destroyed) return;
    }
    await this.runOnce(spec, io, stdout);
  }

  /**
   * Runs the helper with stdin and stdout over the channel `token` opens, or over the attach
   * stream without one. When the channel does not open, nothing of stdin was read and the helper
   * is removed.
   */
  private async runOnce(spec: ContainerSpec, io: HelperIo, stdout: PassThrough, token?: string): Promise<Outcome> {
    const { stdin } = io;
    const options = this.createOptions(spec);
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
    let removal: Promise<void> | undefined;
    const remove = () => (removal ??= container.remove({ force: true }).then(() => undefined));
    const parts: { attached?: Duplex; channel?: Socket } = {};
    // A reader that gave up (the cache key was taken first, the upload failed) leaves a helper
    // that may still be writing.
    stdout.once('close', () => {
      parts.attached?.destroy();
      parts.channel?.destroy();
      void remove().catch(() => undefined);
    });
    const givenUp = async (): Promise<boolean> => {
      if (stdout.destroyed) await remove();
      return stdout.destroyed;
    };
    if (await givenUp()) return 'done';

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
    // A helper that stops reading its stdin early (tar refused a path) breaks the connection while
    // it is fed; its exit code and stderr say why, the broken pipe does not. One that cannot exit
    // (blocked writing to a connection we dropped) is removed after a while.
    const brokenBy = (error: Error): void =>
      void Promise.race([ended(), sleep(BROKEN_WAIT_MS, undefined)])
        .catch(() => undefined)
        .then(async (failure) => {
          await remove().catch(() => undefined);
          stdout.destroy(failure ?? error);
        });
    const frames = new MultiplexedOutput({
      onStderr: (data) => {
        stderrTail = `${stderrTail}${data.toString('utf8')}`.slice(-STDERR_TAIL_CHARS);
        io.onStderr(data);
      },
      ...(token === undefined && { beforeEnd: failIfFailed }),
    });
    frames.on('error', (error) => stdout.destroy(error));
    try {
      parts.attached = (await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
        ...(stdin && token === undefined && { stdin: true, hijack: true }),
      })) as unknown as Duplex;
      parts.attached.on('error', brokenBy);
      if (await givenUp()) return 'done';
      await container.start();
    } catch (error) {
      await remove().catch(() => undefined);
      throw error;
    }
    const { attached } = parts;
    if (token === undefined) {
      attached.pipe(frames).pipe(stdout);
      // Ending our side closes the container's stdin (StdinOnce); its output still comes back.
      stdin?.pipe(attached);
      return 'done';
    }
    attached.pipe(frames).resume();
    const address = await addressOn(container, spec.network!.name);
    const opened = address === undefined ? { reachable: false } : await openChannel(address, token);
    if (await givenUp()) {
      opened.socket?.destroy();
      return 'done';
    }
    const channel = opened.socket;
    if (channel === undefined) {
      await remove();
      return opened.reachable ? 'refused' : 'unreachable';
    }
    parts.channel = channel;
    const passOn = new Transform({
      transform: (chunk: Buffer, _encoding, done) => done(null, chunk),
      flush: (done) => void failIfFailed().then(() => done(), done),
    });
    channel.on('error', brokenBy);
    // The helper's stdout ended: ending our side too lets its channel close and the helper exit.
    channel.once('end', () => channel.end());
    passOn.on('error', (error) => stdout.destroy(error));
    channel.pipe(passOn).pipe(stdout);
    stdin?.pipe(channel);
    return 'done';
  }
}

/** The container's address on `network`, where the builder reaches it. */
export async function addressOn(container: Dockerode.Container, network: string): Promise<string | undefined> {
  const info = await container.inspect();
  return info.NetworkSettings.Networks[network]?.IPAddress || undefined;
}
