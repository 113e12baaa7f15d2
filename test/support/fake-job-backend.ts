import type {
  ContainerSpec,
  ExecRequest,
  JobBackend,
  RegistryAuth,
  StreamedContainer,
  VolumeUsage,
} from '../../src/docker/index.js';
import type { EngineInfo } from '../../src/docker/index.js';
import { PassThrough, type Readable } from 'node:stream';
import { PROBE_TOOLS_ARGV } from '../../src/builder/runner/shell.js';
import { PROBE_PLACES_ARGV } from '../../src/builder/runner/data-steps/container-paths.js';
import { FakeContainerFiles } from './fake-container-files.js';

/** A failure the way the engine reports one: with its HTTP status. */
export class FakeEngineError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a scripted process does: its output and exit code. */
export interface FakeProcess {
  readonly output?: string;
  readonly exitCode: number;
}

interface FakeObject {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface FakeContainer extends FakeObject {
  readonly spec: ContainerSpec;
}

/**
 * An in-memory Docker Engine behind the job backend port, for unit tests of the runner and the
 * agent. It keeps the objects a job makes, answers the tools probe, and runs each step's script
 * through `steps` (by default `exit N` exits N and `echo TEXT` prints TEXT). Failures can be
 * injected per operation.
 */
export class FakeJobBackend implements JobBackend {
  readonly images = new Set<string>();
  readonly pullable = new Set<string>();
  readonly networks = new Map<string, FakeObject>();
  readonly volumes = new Map<string, FakeObject>();
  readonly containers = new Map<string, FakeContainer>();
  /** Every container started, in order, as it was asked for. */
  readonly started: ContainerSpec[] = [];
  /** Every step script, in the order the runner ran them. */
  readonly scripts: string[] = [];
  /** Every exec's argv, in order. */
  readonly execs: (readonly string[])[] = [];
  /** Who each exec ran as (`ExecRequest.user`), beside `execs`. */
  readonly execUsers: (string | undefined)[] = [];
  /** Each exec's variables (`ExecRequest.env`), beside `execs`. */
  readonly execEnvs: (readonly string[] | undefined)[] = [];
  readonly removals: { labels: Readonly<Record<string, string>>; owner: string }[] = [];
  /** Makes the named operation throw this error. */
  readonly failures = new Map<'createNetwork' | 'removeByLabels' | 'pullImage', Error>();
  /** Paths that no archive may write (a primary whose `/tmp` is no folder): a put that would fails with the error. */
  readonly refusedPaths = new Map<string, Error>();
  /** Each container's files, as the archive API sees them. */
  readonly files = new Map<string, FakeContainerFiles>();
  /** Containers an archive is being put into, during which the engine answers no `hasPath`. */
  private readonly putting = new Set<string>();
  /** `$HOME` in every container, for the data steps' probe. */
  /** The ids of the containers `startContainer` made, in order (`started` holds their specs). */
  readonly startedIds: string[] = [];
  home = '/home/circleci';
  /** How often an engine was told to remove the containers earlier jobs left in its layer cache. */
  earlierContainerRemovals = 0;
  /** Whether a job's own Docker engine answers its readiness wait. */
  engineAnswers = true;
  /** The helper container's run (checkout). */
  helperRun: FakeProcess = { exitCode: 0, output: 'Checked out\n' };
  private nextId = 0;

  constructor(readonly steps: (script: string) => FakeProcess = interpretScript) {}

  info(): Promise<EngineInfo> {
    return Promise.resolve({
      cpus: 8,
      memoryBytes: 16 * 1024 ** 3,
      name: 'fake-host',
      serverVersion: '20.10.24',
      nestedCgroups: true,
    });
  }

  hasImage(ref: string): Promise<boolean> {
    return Promise.resolve(this.present(ref));
  }

  /** An image's id here is `sha256:` and its name, so a test can tell a run by id from one by name. */
  imageId(ref: string): Promise<string | undefined> {
    if (!this.present(ref)) return Promise.resolve(undefined);
    return Promise.resolve(ref.startsWith('sha256:') ? ref : `sha256:${ref}`);
  }

  /** Whether an image is here, by name or by id. */
  private present(ref: string): boolean {
    return this.images.has(ref) || (ref.startsWith('sha256:') && this.images.has(ref.slice('sha256:'.length)));
  }

  /** The credentials each pull was made with, in order. */
  readonly pulls: { ref: string; auth?: RegistryAuth }[] = [];

  pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    this.pulls.push({ ref, ...(auth && { auth }) });
    const failure = this.failures.get('pullImage');
    if (failure) return Promise.reject(failure);
    if (!this.pullable.has(ref)) return Promise.reject(new FakeEngineError(404, `pull access denied for ${ref}`));
    this.images.add(ref);
    return Promise.resolve();
  }

  /** How many networks the engine has addresses for, as Docker's default address pools bound them. */
  addressPools = Infinity;

  createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    const failure = this.failures.get('createNetwork');
    if (failure) return Promise.reject(failure);
    if (this.networks.size >= this.addressPools)
      return Promise.reject(
        new FakeEngineError(
          400,
          'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
        ),
      );
    this.networks.set(name, { name, labels });
    return Promise.resolve();
  }

  removeContainer(idOrName: string): Promise<void> {
    for (const [id, container] of this.containers)
      if (id === idOrName || container.name === idOrName) this.containers.delete(id);
    return Promise.resolve();
  }

  removeNetwork(name: string): Promise<void> {
    if ([...this.containers.values()].some((c) => c.spec.network?.name === name))
      return Promise.reject(
        new FakeEngineError(403, `error while removing network: network ${name} has active endpoints`),
      );
    this.networks.delete(name);
    return Promise.resolve();
  }

  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    this.volumes.set(name, { name, labels });
    return Promise.resolve();
  }

  /** The size volumeUsage gives each volume (undefined: the engine could not size it); 0 for one not named here. */
  readonly volumeSizes = new Map<string, number | undefined>();
  /** What volumeUsage fails with, as a disk-usage report already running does on older engines. */
  volumeUsageFailure: Error | undefined;

  volumeUsage(name: string): Promise<VolumeUsage | undefined> {
    if (this.volumeUsageFailure) return Promise.reject(this.volumeUsageFailure);
    if (!this.volumes.has(name)) return Promise.resolve(undefined);
    const containers = [...this.containers.values()].filter((c) => c.spec.volumes?.some((v) => v.name === name));
    const bytes = this.volumeSizes.has(name) ? this.volumeSizes.get(name) : 0;
    return Promise.resolve({ bytes, containers: containers.length });
  }

  removeVolume(name: string): Promise<void> {
    this.volumes.delete(name);
    this.volumeSizes.delete(name);
    return Promise.resolve();
  }

  /** Each container's address on its network: 10.0.0.<its number>. */
  addressOn(containerId: string, network: string): Promise<string | undefined> {
    const container = this.containers.get(containerId);
    if (container?.spec.network?.name !== network) return Promise.resolve(undefined);
    return Promise.resolve(`10.0.0.${containerId.slice(1)}`);
  }

  startContainer(spec: ContainerSpec): Promise<string> {
    if (!this.present(spec.image)) return Promise.reject(new FakeEngineError(404, `No such image: ${spec.image}`));
    if (spec.networkOf !== undefined && !this.containers.has(spec.networkOf))
      return Promise.reject(new FakeEngineError(409, 'cannot join network of a non running container'));
    const id = `c${++this.nextId}`;
    this.containers.set(id, { name: spec.name ?? id, labels: spec.labels, spec });
    this.started.push(spec);
    this.startedIds.push(id);
    return Promise.resolve(id);
  }

  /** Every helper run to its end, in order. */
  readonly ran: ContainerSpec[] = [];

  runContainer(spec: ContainerSpec, onOutput: (data: Buffer) => void): Promise<number> {
    if (!this.present(spec.image)) return Promise.reject(new FakeEngineError(404, `No such image: ${spec.image}`));
    this.ran.push(spec);
    if (this.helperRun.output) onOutput(Buffer.from(this.helperRun.output));
    return Promise.resolve(this.helperRun.exitCode);
  }

  /** Every firewall helper run on the host, in order. */
  readonly firewallRuns: { image: string; script: string; labels: Readonly<Record<string, string>> }[] = [];
  /** How the firewall helper answers: its output, or an error. */
  firewallAnswer: string | Error = 'iptables-nft\nwritten\n';

  runHostFirewall(image: string, script: string, labels: Readonly<Record<string, string>>): Promise<string> {
    this.firewallRuns.push({ image, script, labels });
    return this.firewallAnswer instanceof Error
      ? Promise.reject(this.firewallAnswer)
      : Promise.resolve(this.firewallAnswer);
  }

  /** How the storage driver answers a disk limit: undefined takes it, a string is its refusal. */
  diskLimitAnswer: string | undefined = undefined;
  /** Every disk limit asked about, in order. */
  readonly diskLimitChecks: { image: string; bytes: number }[] = [];

  diskLimitRefusal(image: string, bytes: number): Promise<string | undefined> {
    this.diskLimitChecks.push({ image, bytes });
    return Promise.resolve(this.diskLimitAnswer);
  }

  /** Paths whose parent folder is reached through a symbolic link, for the data steps' probe. */
  readonly linkedPaths = new Set<string>();
  /** Every streamed helper asked for, in order. */
  readonly streamed: ContainerSpec[] = [];

  /** What a streamed helper writes to stdout, given its stdin. By default it fails: this engine runs no programs. */
  helperStream: (spec: ContainerSpec, stdin: Readable | undefined) => Readable = () => {
    const stdout = new PassThrough();
    stdout.destroy(new FakeEngineError(501, 'the fake engine runs no streamed helper containers'));
    return stdout;
  };

  streamContainer(spec: ContainerSpec, io: { stdin?: Readable }): StreamedContainer {
    this.streamed.push(spec);
    return { stdout: this.helperStream(spec, io.stdin) };
  }

  async exec(containerId: string, request: ExecRequest): Promise<number> {
    if (!this.containers.has(containerId)) throw new FakeEngineError(404, `No such container: ${containerId}`);
    this.execs.push(request.cmd);
    this.execUsers.push(request.user);
    this.execEnvs.push(request.env);
    const process = this.processOf(request.cmd);
    // As the engine's reader does, the process ends only once its output was taken.
    if (process.output) await request.onOutput?.(Buffer.from(process.output));
    return process.exitCode;
  }

  getArchive(containerId: string, path: string): Promise<Readable> {
    const files = this.filesOf(containerId);
    if (!files.has(path))
      return Promise.reject(new FakeEngineError(404, `Could not find the file ${path} in container ${containerId}`));
    return Promise.resolve(files.archive(path));
  }

  hasPath(containerId: string, path: string): Promise<boolean> {
    // The engine answers nothing about a container while an archive is put into it (it holds the
    // container until the tar ends); where it would wait, maybe for ever, this fails at once.
    if (this.putting.has(containerId))
      return Promise.reject(new Error(`hasPath(${path}) while an archive is being put into ${containerId}`));
    return Promise.resolve(this.filesOf(containerId).has(path));
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    this.putting.add(containerId);
    try {
      const put = new FakeContainerFiles();
      await put.unpack(path, tar);
      for (const written of put.nodes.keys())
        for (const [refused, error] of this.refusedPaths) if (written.startsWith(refused)) throw error;
      for (const [written, node] of put.nodes) this.filesOf(containerId).nodes.set(written, node);
    } finally {
      this.putting.delete(containerId);
    }
  }

  /** The container's files (made on first use), for the data steps. */
  filesOf(containerId: string): FakeContainerFiles {
    let files = this.files.get(containerId);
    if (files === undefined) this.files.set(containerId, (files = new FakeContainerFiles()));
    return files;
  }

  removeByLabels(labels: Readonly<Record<string, string>>, owner: string): Promise<void> {
    this.removals.push({ labels, owner });
    const failure = this.failures.get('removeByLabels');
    if (failure) return Promise.reject(failure);
    const matches = (o: FakeObject) => Object.entries(labels).every(([k, v]) => o.labels[k] === v);
    for (const objects of [this.containers, this.networks, this.volumes] as Map<string, FakeObject>[]) {
      for (const [key, object] of objects) if (matches(object)) objects.delete(key);
    }
    return Promise.resolve();
  }

  private processOf(cmd: readonly string[]): FakeProcess {
    if (cmd.join(' ') === PROBE_TOOLS_ARGV.join(' ')) return { exitCode: 0, output: 'bash\nsetsid\n' };
    if (cmd.join(' ') === PROBE_PLACES_ARGV.join(' '))
      return { exitCode: 0, output: `${this.home}\nx86_64\n1000\n1000\n` };
    if (cmd.includes('gyre-paths')) {
      const paths = cmd.slice(cmd.indexOf('gyre-paths') + 1);
      return { exitCode: 0, output: paths.filter((path) => this.linkedPaths.has(path)).join('\n') };
    }
    // An SSH rerun's working directory (ssh-landing.ts), `~/…` in the fake home.
    if (cmd.includes('gyre-workdir')) return { exitCode: 0, output: `${this.home}/project\n` };
    if (cmd.includes('gyre-step')) {
      const script = cmd.at(-1)!;
      this.scripts.push(script);
      return this.steps(script);
    }
    // The readiness wait of a job's own engine (setup_remote_docker): it answers, unless told not to.
    if (cmd.some((arg) => arg.includes('docker version'))) return { exitCode: this.engineAnswers ? 0 : 124 };
    // The removal of containers an earlier job left in a layer cache's engine.
    if (cmd.some((arg) => arg.includes('docker rm -f'))) {
      this.earlierContainerRemovals += 1;
      return { exitCode: 0 };
    }
    // The runner's own probes and signals (kill, the checkout's folder and copy): nothing left to signal.
    return { exitCode: cmd.some((arg) => arg.includes('cp -R') || arg.includes('chown')) ? 0 : 1 };
  }
}

/** `exit N` exits with N; `echo TEXT` prints TEXT; anything else succeeds silently. */
function interpretScript(script: string): FakeProcess {
  const exit = /^exit (\d+)$/.exec(script);
  if (exit) return { exitCode: Number(exit[1]) };
  const echo = /^echo (.*)$/.exec(script);
  if (echo) return { exitCode: 0, output: `${echo[1]}\n` };
  return { exitCode: 0 };
}
