/**
 * The port through which a builder runs jobs: what the runner and the agent need from a Docker
 * Engine, and nothing more. One implementation talks to Docker (docker-job-backend.ts); unit tests
 * of the runner and the agent use a fake. Errors the engine answered carry its HTTP status, so
 * callers classify them with `statusCodeOf` (404: gone, 409: not running).
 */
import type { Readable } from 'node:stream';
import type { EngineInfo } from './types.js';

/** Limits of one container. */
export interface ContainerLimits {
  /** CPUs; 0 means no CPU limit. */
  readonly cpus: number;
  /** Bytes; 0 means no memory limit. */
  readonly memoryBytes: number;
  readonly pids: number;
}

/** A container to create. Nothing here can ask for privileged mode, host mounts or the host network. */
export interface ContainerSpec {
  readonly image: string;
  /** The container's name, by which it can be removed though its start failed. @default one the engine makes up */
  readonly name?: string;
  /** `NAME=value` entries. */
  readonly env?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly user?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The network to join, with aliases other containers reach it by. @default Docker's default bridge */
  readonly network?: { readonly name: string; readonly aliases?: readonly string[] };
  /**
   * The id of a running container whose network namespace this one joins instead (Docker's
   * `container:` network mode): the job's primary joins the pool's holder, already on the job's
   * network (resource-pool.ts). Not with `network`.
   */
  readonly networkOf?: string;
  /** Named volumes to mount. */
  readonly volumes?: readonly { readonly name: string; readonly target: string; readonly readOnly?: boolean }[];
  readonly limits?: ContainerLimits;
  /**
   * Bytes written to the container's stdin, which is then closed: how a secret reaches a helper
   * without being in its environment (`docker inspect`) or on its command line. Only `runContainer`.
   */
  readonly stdin?: Buffer;
  /**
   * The id of a container whose PID namespace this one joins: a helper that reads and writes that
   * container's files at `/proc/1/root`, with no more rights there than its user has.
   */
  readonly pidOf?: string;
  /** Its own file system read-only: a helper writes only where it is given to (`/proc/1/root`). */
  readonly readOnlyRoot?: boolean;
  /**
   * Where its cgroup goes, on engines that nest cgroups (`EngineInfo.nestedCgroups`): `leader`
   * makes a cgroup of its own that holds the job's limits, `{ under }` nests this container in the
   * leader's (a container id), so the limits bound the whole job.
   */
  readonly cgroup?: 'leader' | { readonly under: string };
  /**
   * Whether setuid programs such as `sudo` may raise its privileges. Every container gets Docker's
   * `no-new-privileges` but the job's primary: CircleCI's images run as a user who installs
   * packages with `sudo`. Its capabilities stay the reduced set all containers get.
   */
  readonly mayGainPrivileges?: boolean;
  /**
   * The most bytes it may write into its own file system (Docker's `--storage-opt size`); only
   * storage drivers with quotas take it (see `checkDiskLimit`).
   */
  readonly diskBytes?: number;
  /**
   * A rootless Docker engine of a job's own (`setup_remote_docker`): it may make user and network
   * namespaces and mount inside them, which Docker's seccomp and AppArmor profiles and its masked
   * `/proc` forbid, and open `/dev/net/tun` for slirp4netns. Its capabilities are only those its
   * entrypoint needs to drop to the engine's user, and nothing of the host is mounted; see
   * docs/design/docker-in-builds.md for what this still risks.
   */
  readonly rootlessEngine?: boolean;
}

/** A streamed helper's stdin and the callback for its stderr (see {@link JobBackend.streamContainer}). */
export interface HelperIo {
  readonly stdin?: Readable;
  readonly onStderr: (data: Buffer) => void;
}

/** A helper container whose stdout is a byte stream (see {@link JobBackend.streamContainer}). */
export interface StreamedContainer {
  /** What the container wrote to stdout. Fails, with the end of its stderr, unless it exited 0. */
  readonly stdout: Readable;
}

/** One process to run in a running container. */
export interface ExecRequest {
  readonly cmd: readonly string[];
  /** Who it runs as, `uid:gid` or a name. @default the container's user */
  readonly user?: string;
  /** `NAME=value` entries added to the container's environment. */
  readonly env?: readonly string[];
  /**
   * Each piece of stdout or stderr, in the order the engine sent them. A returned promise stops
   * the reading until it settles: the process's output then waits in its pipe (back-pressure).
   */
  readonly onOutput?: (data: Buffer) => void | Promise<void>;
}

/** Credentials for one pull from a private registry (the engine's X-Registry-Auth). */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
  /** The registry, as `docker login` names it: `https://index.docker.io/v1/` for Docker Hub. */
  readonly serveraddress: string;
}

export interface VolumeUsage {
  /** Undefined when the engine could not size it. */
  readonly bytes: number | undefined;
  /** Containers that mount it, running or not. */
  readonly containers: number;
}

export interface JobBackend {
  /** What the machine behind the engine offers. */
  info(): Promise<EngineInfo>;
  /** Whether the image is present; false only when the engine says it is not (404). */
  hasImage(ref: string): Promise<boolean>;
  /** The image's id (`sha256:…`), which names this image for good whatever is tagged later; undefined when absent. */
  imageId(ref: string): Promise<string | undefined>;
  /** Pulls an image from its registry, with credentials for a private one. */
  pullImage(ref: string, auth?: RegistryAuth): Promise<void>;
  /**
   * Creates a job's network. Its Linux bridge is named `JOB_BRIDGE_PREFIX` and a random part,
   * so the egress policy's rules match every job's network, and only those, by one wildcard.
   */
  createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void>;
  /** Kills and removes a container, by id or name, with its anonymous volumes; one already gone is fine. */
  removeContainer(idOrName: string): Promise<void>;
  /** Removes a network no container is attached to any more; one already gone is fine. */
  removeNetwork(name: string): Promise<void>;
  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void>;
  /** What a volume's files take and how many containers use it, as the engine counts them; undefined when there is no such volume. */
  volumeUsage(name: string): Promise<VolumeUsage | undefined>;
  /** Removes a volume no container uses; one already gone is fine. */
  removeVolume(name: string): Promise<void>;
  /** Creates and starts a container; resolves to its id. */
  startContainer(spec: ContainerSpec): Promise<string>;
  /** Runs a container to its end, streaming its output; removes it; resolves to its exit code. */
  runContainer(spec: ContainerSpec, onOutput: (data: Buffer) => void): Promise<number>;
  /**
   * Runs a helper container to its end with its stdout as a stream read at the pace of its reader,
   * and `stdin` (when given) streamed in and then closed. The engine keeps no log of it (a logged
   * stream is written to disk as it passes). Each piece of stderr goes to `onStderr`. The
   * container is removed once it ended, or once the reader gave up on its stdout.
   */
  streamContainer(spec: ContainerSpec, io: HelperIo): StreamedContainer;
  /** The container's IPv4 address on `network`; undefined when it has none there. */
  addressOn(containerId: string, network: string): Promise<string | undefined>;
  /** Runs a process in a running container to its end; resolves to its exit code. */
  exec(containerId: string, request: ExecRequest): Promise<number>;
  /**
   * A tar stream of `path` in a container's file system, through the engine's archive API, so
   * the image needs no tar. Entries are named from the path's last component (`/a/b` gives `b`,
   * `b/…`). Rejects with the engine's 404 when the path does not exist.
   */
  getArchive(containerId: string, path: string): Promise<Readable>;
  /** Whether `path` exists in the container (the archive API's stat, no archive made). */
  hasPath(containerId: string, path: string): Promise<boolean>;
  /**
   * Unpacks a tar stream into a container at `path` (which must exist; missing parents of the
   * entries are made), each file owned by the uid and gid its entry names. Once the tar starts
   * to arrive the engine holds the container until it ends: no other archive call on that
   * container answers meanwhile, so none may be awaited while feeding `tar`.
   */
  putArchive(containerId: string, path: string, tar: Readable): Promise<void>;
  /**
   * Runs `script` with `sh`, as root, in a helper container of `image` on the engine host's own
   * network with NET_ADMIN and NET_RAW only: how a builder keeps firewall rules on the host its
   * engine runs on, wherever the builder itself runs. The container carries `labels` and is
   * removed at its end. Rejects, quoting the script's output, when it exits non-zero.
   */
  runHostFirewall(image: string, script: string, labels: Readonly<Record<string, string>>): Promise<string>;
  /**
   * Whether the engine's storage driver holds a container to `bytes` of its own file system:
   * creates (never starts) one container of `image` with that limit and removes it. Resolves to
   * the engine's refusal, in its words, or undefined when it took the limit.
   */
  diskLimitRefusal(image: string, bytes: number, labels: Readonly<Record<string, string>>): Promise<string | undefined>;
  /**
   * Removes every container, network and volume carrying all of `labels` (in that order, since
   * containers hold the others). Idempotent: what is already gone counts as removed; one failure
   * does not stop the rest, and every failure is reported together at the end, naming `owner`.
   */
  removeByLabels(labels: Readonly<Record<string, string>>, owner: string): Promise<void>;
}
