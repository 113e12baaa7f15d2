/**
 * The job backend on a Docker Engine, through dockerode. Errors are the engine's own, with their
 * `statusCode`, so that the runner can tell "gone" (404) and "not running" (409) from failures.
 */
import { exitCodeOf } from './exec-exit.js';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { GyreError, messageOf } from '../shared/errors.js';
import { engineInfoOf } from './engine-info.js';
import { engineErrorMessage, statusCodeOf } from './errors.js';
import type {
  ContainerSpec,
  ExecRequest,
  HelperIo,
  JobBackend,
  RegistryAuth,
  StreamedContainer,
  VolumeUsage,
} from './job-backend.js';
import { addressOn, StreamedHelpers } from './streamed-helper.js';
import type { EngineInfo } from './types.js';

/** docker-modem's demultiplexer; dockerode types `container.modem` as `any`. */
interface Demuxer {
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

/**
 * The first letters of every job network's bridge: `gyj-` and 11 random letters and digits, within
 * Linux's 15 characters for an interface name. Docker's own are `docker0` and `br-<network id>`.
 */
export const JOB_BRIDGE_PREFIX = 'gyj-';

/** A bridge name for a new job network (see {@link JOB_BRIDGE_PREFIX}). */
function jobBridgeName(): string {
  return (
    JOB_BRIDGE_PREFIX +
    BigInt(`0x${randomBytes(8).toString('hex')}`)
      .toString(36)
      .padStart(11, '0')
      .slice(-11)
  );
}

export class DockerJobBackend implements JobBackend {
  private readonly helpers: StreamedHelpers;

  constructor(
    private readonly docker: Dockerode,
    /** iptables-legacy's lock file on the engine's host, which the firewall helper shares. */
    private readonly xtablesLock = XTABLES_LOCK,
  ) {
    this.helpers = new StreamedHelpers(docker, createOptions);
  }

  async info(): Promise<EngineInfo> {
    return engineInfoOf(await this.docker.info());
  }

  async hasImage(ref: string): Promise<boolean> {
    return (await this.imageId(ref)) !== undefined;
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
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
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Labels: { ...labels },
      CheckDuplicate: true,
      // IPv4 only, whatever the daemon's default: the egress policy's rules are IPv4 rules.
      EnableIPv6: false,
      Options: { 'com.docker.network.bridge.name': jobBridgeName() },
    });
  }

  async removeContainer(idOrName: string): Promise<void> {
    await this.docker.getContainer(idOrName).remove({ force: true, v: true }).catch(goneIsFine);
  }

  async removeNetwork(name: string): Promise<void> {
    await this.docker.getNetwork(name).remove().catch(goneIsFine);
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: { ...labels } });
  }

  async volumeUsage(name: string): Promise<VolumeUsage | undefined> {
    // The engine sizes volumes only in its disk-usage report, which walks their files; -1 is "not sized".
    const usage = (await this.docker.df()) as {
      Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } }[];
    };
    const volume = usage.Volumes?.find((v) => v.Name === name);
    if (volume === undefined) return undefined;
    const size = volume.UsageData?.Size ?? -1;
    return { bytes: size < 0 ? undefined : size, containers: Math.max(0, volume.UsageData?.RefCount ?? 0) };
  }

  async removeVolume(name: string): Promise<void> {
    await this.docker.getVolume(name).remove().catch(goneIsFine);
  }

  async startContainer(spec: ContainerSpec): Promise<string> {
    const container = await this.docker.createContainer(createOptions(spec));
    await container.start();
    return container.id;
  }

  addressOn(containerId: string, network: string): Promise<string | undefined> {
    return addressOn(this.docker.getContainer(containerId), network);
  }

  async runContainer(spec: ContainerSpec, onOutput: (data: Buffer) => void): Promise<number> {
    return this.runToEnd(createOptions(spec), spec.stdin, onOutput);
  }

  async runHostFirewall(image: string, script: string, labels: Readonly<Record<string, string>>): Promise<string> {
    let output = '';
    const run = (shareLock: boolean) =>
      this.runToEnd(
        {
          Image: image,
          User: '0:0',
          Entrypoint: ['sh', '-s'],
          Labels: { ...labels },
          HostConfig: {
            NetworkMode: 'host',
            CapDrop: ['ALL'],
            CapAdd: ['NET_ADMIN', 'NET_RAW'],
            SecurityOpt: ['no-new-privileges'],
            ReadonlyRootfs: true,
            // The script keeps its notes in /run. NET_RAW above is for iptables-legacy, which
            // talks to the kernel through a raw socket.
            Tmpfs: { '/run': 'rw,size=1m' },
            // iptables-legacy rewrites whole tables under this lock, and so does dockerd's when it
            // publishes a port: with a lock of its own, one of them could undo the other's change.
            // A bind mount (not `-v`, which would make a folder there) of the host's file; where
            // it does not exist, no iptables-legacy on the host takes it.
            ...(shareLock && { Mounts: [{ Type: 'bind', Source: this.xtablesLock, Target: XTABLES_LOCK }] }),
          },
        },
        Buffer.from(script),
        (data) => (output += data.toString()),
      );
    const code = await run(true).catch((error: unknown) => {
      const message = engineErrorMessage(error);
      const noLock =
        statusCodeOf(error) === 400 &&
        message.includes('bind source path does not exist') &&
        message.includes(this.xtablesLock);
      if (!noLock) throw error;
      return run(false);
    });
    if (code !== 0)
      throw new GyreError(
        `The firewall helper (${image}, on the engine host's network) exited ${code}: ${output.trim() || 'no output'}`,
      );
    return output;
  }

  async diskLimitRefusal(
    image: string,
    bytes: number,
    labels: Readonly<Record<string, string>>,
  ): Promise<string | undefined> {
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer(createOptions({ image, labels, cmd: ['true'], diskBytes: bytes }));
    } catch (error) {
      // The storage driver's refusal is a 400 or 500 whose message names the driver's needs.
      // Anything else (no such image, no engine) is not an answer about the limit.
      const status = statusCodeOf(error);
      if (status === undefined || status === 404) throw error;
      return engineErrorMessage(error);
    }
    await container.remove({ force: true });
    return undefined;
  }

  /** Creates a container, streams its output, feeds and closes its stdin, waits for its end and removes it. */
  private async runToEnd(
    options: Dockerode.ContainerCreateOptions,
    stdin: Buffer | undefined,
    onOutput: (data: Buffer) => void,
  ): Promise<number> {
    const container = await this.docker.createContainer({
      ...options,
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
    return this.helpers.start(spec, io);
  }

  async exec(containerId: string, request: ExecRequest): Promise<number> {
    const container = this.docker.getContainer(containerId);
    const exec = await container.exec({
      Cmd: [...request.cmd],
      Env: [...(request.env ?? [])],
      ...(request.user !== undefined && { User: request.user }),
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

/**
 * Capabilities of Docker's default set that builds do not need, taken from every container of a
 * job: raw sockets (spoofing on the job's network) and device nodes. What apt, dpkg, npm and
 * `sudo` use stays (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, ...), AUDIT_WRITE included:
 * Debian's and Ubuntu's sudo write an audit record and complain on every call without it. Helpers get
 * the same set as the primary: one with fewer capabilities could not read the primary's files at
 * `/proc/1/root`.
 */
const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD'] as const;
/** iptables-legacy's lock file on the engine's host (XTABLES_LOCKFILE's default). */
const XTABLES_LOCK = '/run/xtables.lock';

/**
 * Where a job's leader cgroup is made, under each controller's root; its own name is the leader
 * container's id. Named outright instead of inheriting the engine's default parent (`/docker`),
 * which the engine does not report and other containers need to find.
 */
export const JOB_CGROUPS = '/gyre';

function cgroupParentOf(cgroup: NonNullable<ContainerSpec['cgroup']>): string {
  return cgroup === 'leader' ? JOB_CGROUPS : `${JOB_CGROUPS}/${cgroup.under}`;
}

/**
 * What a rootless engine needs (see {@link ContainerSpec.rootlessEngine}). Its `newuidmap` works by
 * file capabilities, which `no-new-privileges` would void, so it goes without; the image carries
 * no setuid program. Of the capabilities, only what its entrypoint needs as root before it drops
 * to the engine's user (a new user namespace starts with every capability of its own anyway).
 */
const ROOTLESS_ENGINE: Dockerode.HostConfig = {
  CapDrop: ['ALL'],
  CapAdd: ['SETUID', 'SETGID', 'CHOWN'],
  SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
  // What the CLI's `--security-opt systempaths=unconfined` sends: no masked or read-only /proc paths.
  MaskedPaths: [],
  ReadonlyPaths: [],
  Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
};

function securityOf(spec: ContainerSpec): Dockerode.HostConfig {
  if (spec.rootlessEngine) return ROOTLESS_ENGINE;
  return spec.mayGainPrivileges ? {} : { SecurityOpt: ['no-new-privileges'] };
}

function createOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const limits = spec.limits;
  if (spec.network !== undefined && spec.networkOf !== undefined)
    throw new Error("A container joins a network or another container's network namespace, not both");
  return {
    ...(spec.name !== undefined && { name: spec.name }),
    Image: spec.image,
    Env: [...(spec.env ?? [])],
    ...(spec.entrypoint && { Entrypoint: [...spec.entrypoint] }),
    ...(spec.cmd && { Cmd: [...spec.cmd] }),
    ...(spec.user !== undefined && { User: spec.user }),
    Labels: { ...spec.labels },
    HostConfig: {
      ...(spec.network && { NetworkMode: spec.network.name }),
      ...(spec.networkOf !== undefined && { NetworkMode: `container:${spec.networkOf}` }),
      ...(spec.pidOf !== undefined && { PidMode: `container:${spec.pidOf}` }),
      ...(spec.readOnlyRoot && { ReadonlyRootfs: true }),
      ...(spec.volumes && {
        Mounts: spec.volumes.map((v) => ({
          Type: 'volume' as const,
          Source: v.name,
          Target: v.target,
          ...(v.readOnly && { ReadOnly: true }),
        })),
      }),
      ...(limits && limits.cpus > 0 && { NanoCpus: Math.round(limits.cpus * 1e9) }),
      // Swap equal to memory: none beyond it, so the limit is the limit.
      ...(limits && limits.memoryBytes > 0 && { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes }),
      ...(limits && { PidsLimit: limits.pids }),
      ...(spec.cgroup && { CgroupParent: cgroupParentOf(spec.cgroup) }),
      ...(spec.diskBytes !== undefined && { StorageOpt: { size: String(spec.diskBytes) } }),
      CapDrop: [...DROPPED_CAPABILITIES],
      ...securityOf(spec),
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
  onOutput: (data: Buffer) => void | Promise<void>,
): Promise<void> {
  // One engine read can hold several frames, each with its own wait: reading resumes after the last.
  let waits = 0;
  // The engine may close the stream while a wait is pending (its last read was taken): the output
  // counts as read only once every wait is over too.
  let ended = false;
  let done!: () => void;
  const read = new Promise<void>((resolve) => (done = resolve));
  const settle = (): void => {
    if (ended && waits === 0) done();
  };
  const resume = (): void => {
    waits -= 1;
    if (waits > 0) return;
    stream.resume();
    settle();
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const wait = onOutput(chunk);
      // A `void` callback may still return a value (TypeScript allows it): only a promise is a wait.
      if (wait instanceof Promise) {
        if (waits === 0) stream.pause();
        waits += 1;
        wait.then(resume, resume);
      }
      done();
    },
  });
  await new Promise<void>((resolve, reject) => {
    (container.modem as Demuxer).demuxStream(stream, sink, sink);
    const end = (): void => {
      ended = true;
      settle();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', reject);
    void read.then(resolve);
  });
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

/** A removal's answer when the object is already gone (404) is what the removal wanted. */
function goneIsFine(error: unknown): void {
  if (statusCodeOf(error) !== 404) throw error;
}
