/**
 * Container calls the orchestrator makes on a Docker host it manages (backups and restores): find
 * a stack's service container, run a command in it with its output streamed, move files in and
 * out through the archive API, and run a throwaway container. Everything goes over the Docker API,
 * so it works the same on a remote host as on this machine.
 */
import { PassThrough, Readable, type Duplex, type Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { GyreError, TimeoutError } from '../shared/errors.js';
import { exitCodeOf } from './exec-exit.js';
import { statusCodeOf, toDockerError } from './errors.js';
import { describeDockerHost, type DockerHost } from './host.js';
import { MultiplexedOutput } from './multiplexed-output.js';

/** How much of a command's stderr a failure quotes. */
const STDERR_TAIL_CHARS = 2_000;

/** A command running in a container. */
export interface ExecRun {
  /** Its stdout, at the reader's pace; fails, naming the exit code and stderr's end, if it exits non-zero. */
  readonly stdout: Readable;
  /** Ends the command's stdin (a half-close: its output still comes, up to its exit). */
  endStdin(): void;
}

export interface ExecOptions {
  /** Attach stdin and keep it open until `endStdin`: a command can wait for its end. @default false */
  readonly holdStdin?: boolean;
  readonly env?: readonly string[];
}

/** A command run in a container for a person at a terminal (SSH into builds). */
export interface InteractiveSpec {
  readonly cmd: readonly string[];
  /** A pseudo-terminal: one stream, raw, sized by `resize`. */
  readonly tty: boolean;
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
}

export interface InteractiveExec {
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Empty with a terminal, which mixes both into stdout. */
  readonly stderr: Readable;
  resize(rows: number, columns: number): Promise<void>;
  /** Its exit code, once its output has ended. */
  readonly exited: Promise<number>;
  /** Drops the connection: the command gets a hang-up, as from a closed terminal. */
  close(): void;
}

/** A container to create and start. */
export interface RunSpec {
  readonly name: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The network to join, and the name it answers to there. */
  readonly network?: { readonly name: string; readonly alias: string };
  /** {@link ContainerClient.runToEnd} stops it and fails after this long. @default no limit */
  readonly timeoutMs?: number;
}

export interface FinishedRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ContainerClient {
  /** The id of a Compose project's service container (by default, a running one), or undefined. */
  serviceContainer(project: string, service: string, options?: { running: boolean }): Promise<string | undefined>;
  exec(id: string, argv: readonly string[], options?: ExecOptions): Promise<ExecRun>;
  /** Runs a command to its end and resolves to its stdout; rejects as {@link ExecRun.stdout} fails. */
  execText(id: string, argv: readonly string[], options?: ExecOptions): Promise<string>;
  /** Starts a command with stdin, stdout and stderr (or a terminal) for a person to use. */
  interactive(id: string, spec: InteractiveSpec): Promise<InteractiveExec>;
  getArchive(id: string, path: string): Promise<Readable>;
  /** Extracts a tar under `path`; owners are as the tar's headers say. */
  putArchive(id: string, path: string, tar: Readable): Promise<void>;
  /** Creates and starts a container; resolves to its id. */
  run(spec: RunSpec): Promise<string>;
  /** Runs a container to its exit and removes it; resolves to its exit code and what it wrote. */
  runToEnd(spec: RunSpec): Promise<FinishedRun>;
  /** Removes a container with its anonymous volumes; one already gone is no error. */
  remove(id: string): Promise<void>;
  createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  volumeExists(name: string): Promise<boolean>;
  /**
   * Removes the containers and networks carrying `label` made over `olderThanMs` ago: what a
   * killed command left behind. Resolves to how many containers it removed.
   */
  removeLeftovers(label: string, olderThanMs: number): Promise<number>;
}

export class DockerodeContainers implements ContainerClient {
  constructor(
    private readonly host: DockerHost,
    private readonly docker: Dockerode,
  ) {}

  async serviceContainer(project: string, service: string, options = { running: true }): Promise<string | undefined> {
    const filters = JSON.stringify({
      label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`],
      ...(options.running && { status: ['running'] }),
    });
    const found = await this.call(`finding ${service} of ${project}`, () =>
      this.docker.listContainers({ all: !options.running, filters }),
    );
    return found[0]?.Id;
  }

  async exec(id: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecRun> {
    const what = `\`${argv.join(' ')}\` in container ${id.slice(0, 12)}`;
    const exec = await this.call(`starting ${what}`, () =>
      this.docker.getContainer(id).exec({
        Cmd: [...argv],
        Env: [...(options.env ?? [])],
        AttachStdin: options.holdStdin === true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      }),
    );
    const stream = await this.call<Duplex>(
      `starting ${what}`,
      async () => await exec.start({ hijack: true, stdin: options.holdStdin === true }),
    );
    let stderrTail = '';
    const stdout = new MultiplexedOutput({
      onStderr: (data) => {
        stderrTail = `${stderrTail}${data.toString('utf8')}`.slice(-STDERR_TAIL_CHARS);
      },
      beforeEnd: async () => {
        const code = await exitCodeOf(exec);
        if (code !== 0)
          throw new GyreError(
            `Docker host ${describeDockerHost(this.host)}: ${what} exited with ${code}${stderrTail.trim() ? `: ${stderrTail.trim()}` : ''}`,
          );
      },
    });
    stream.on('error', (error) => stdout.destroy(error));
    // A reader that gave up (its disk full, say) ends the connection too: the command's output
    // would otherwise block it forever.
    stdout.once('close', () => stream.destroy());
    stream.pipe(stdout);
    return { stdout, endStdin: () => stream.end() };
  }

  async interactive(id: string, spec: InteractiveSpec): Promise<InteractiveExec> {
    const what = `\`${spec.cmd.join(' ')}\` in container ${id.slice(0, 12)}`;
    const exec = await this.call(`starting ${what}`, () =>
      this.docker.getContainer(id).exec({
        Cmd: [...spec.cmd],
        Env: [...(spec.env ?? [])],
        ...(spec.workdir !== undefined && { WorkingDir: spec.workdir }),
        ...(spec.user !== undefined && { User: spec.user }),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: spec.tty,
      }),
    );
    const stream = await this.call<Duplex>(
      `starting ${what}`,
      async () => await exec.start({ hijack: true, stdin: true, Tty: spec.tty }),
    );
    const stderr = new PassThrough();
    let stdout: Readable = stream;
    // A connection the engine resets must fail the streams, not the process (no listener: a crash).
    stream.on('error', () => undefined);
    if (!spec.tty) {
      const frames = new MultiplexedOutput({ onStderr: (data) => stderr.write(data) });
      stream.pipe(frames);
      // Destroying the connection does not end what it was piped into.
      stream.once('close', () => frames.end());
      frames.on('error', () => undefined);
      stdout = frames;
    }
    const ended = new Promise<void>((resolve) => {
      stdout.once('end', resolve);
      stdout.once('close', resolve);
      stream.once('close', resolve);
    });
    const exited = ended.then(() => exitCodeOf(exec));
    void exited.finally(() => stderr.end()).catch(() => undefined);
    return {
      stdin: stream,
      stdout,
      stderr,
      exited,
      resize: async (rows, columns) => {
        await this.call(`resizing the terminal of ${what}`, () => exec.resize({ h: rows, w: columns }));
      },
      close: () => stream.destroy(),
    };
  }

  async execText(id: string, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    const run = await this.exec(id, argv, options);
    const chunks: Buffer[] = [];
    for await (const chunk of run.stdout) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    return (await this.call(`reading ${path} of container ${id.slice(0, 12)}`, () =>
      this.docker.getContainer(id).getArchive({ path }),
    )) as unknown as Readable;
  }

  async putArchive(id: string, path: string, tar: Readable): Promise<void> {
    const answer: unknown = await this.call(`writing under ${path} of container ${id.slice(0, 12)}`, () =>
      this.docker.getContainer(id).putArchive(tar, { path }),
    );
    // The engine's empty answer, if dockerode hands it over as a stream, is drained so the socket frees.
    if (answer && typeof (answer as Readable).resume === 'function') (answer as Readable).resume();
  }

  async run(spec: RunSpec): Promise<string> {
    const container = await this.call(`creating container ${spec.name} of ${spec.image}`, () =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.cmd && { Cmd: [...spec.cmd] }),
        Env: [...(spec.env ?? [])],
        Labels: { ...spec.labels },
        ...(spec.network && {
          HostConfig: { NetworkMode: spec.network.name },
          NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: [spec.network.alias] } } },
        }),
      }),
    );
    try {
      await this.call(`starting container ${spec.name}`, () => container.start());
    } catch (error) {
      await this.remove(container.id);
      throw error;
    }
    return container.id;
  }

  async runToEnd(spec: RunSpec): Promise<FinishedRun> {
    const id = await this.run(spec);
    let timer: NodeJS.Timeout | undefined;
    try {
      const container = this.docker.getContainer(id);
      const waiting = this.call(`waiting for container ${spec.name}`, () => container.wait()) as Promise<{
        StatusCode: number;
      }>;
      const limit =
        spec.timeoutMs === undefined
          ? []
          : [
              new Promise<never>((_resolve, reject) => {
                timer = setTimeout(
                  () => reject(new TimeoutError(`container ${spec.name} to finish`, spec.timeoutMs!)),
                  spec.timeoutMs,
                );
              }),
            ];
      // The container is removed below either way, which also ends the wait.
      waiting.catch(() => undefined);
      const { StatusCode } = await Promise.race([waiting, ...limit]);
      const logs = await this.call(`reading the log of container ${spec.name}`, () =>
        container.logs({ stdout: true, stderr: true, follow: false }),
      );
      return { exitCode: StatusCode, ...(await demultiplexed(logs)) };
    } finally {
      clearTimeout(timer);
      await this.remove(id);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw toDockerError(error, this.host, `removing container ${id}`);
    }
  }

  async createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.call(`creating network ${name}`, () => this.docker.createNetwork({ Name: name, Labels: { ...labels } }));
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw toDockerError(error, this.host, `removing network ${name}`);
    }
  }

  async volumeExists(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).inspect();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw toDockerError(error, this.host, `inspecting volume ${name}`);
    }
  }

  async removeLeftovers(label: string, olderThanMs: number): Promise<number> {
    const before = (Date.now() - olderThanMs) / 1000;
    const filters = JSON.stringify({ label: [label] });
    const containers = await this.call(`listing containers labelled ${label}`, () =>
      this.docker.listContainers({ all: true, filters }),
    );
    const old = containers.filter((container) => container.Created < before);
    for (const container of old) await this.remove(container.Id);
    const networks = await this.call(`listing networks labelled ${label}`, () => this.docker.listNetworks({ filters }));
    // A network's Created is an RFC 3339 time; one still in use (by a younger container) stays.
    for (const network of networks.filter((n) => Date.parse(n.Created ?? '') / 1000 < before))
      await this.removeNetwork(network.Name).catch(() => undefined);
    return old.length;
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDockerError(error, this.host, action);
    }
  }
}

/** The stdout and stderr of a whole multiplexed log. */
async function demultiplexed(log: Buffer): Promise<{ stdout: string; stderr: string }> {
  const stderr: Buffer[] = [];
  const stdout: Buffer[] = [];
  const frames = new MultiplexedOutput({ onStderr: (data) => stderr.push(data) });
  for await (const chunk of Readable.from([log]).pipe(frames)) stdout.push(chunk as Buffer);
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
