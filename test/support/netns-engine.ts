/**
 * A second Docker Engine for multi-host tests, in its own network namespace so that it has its
 * own address and its own bridge (see ENVIRONMENT.md: never a second dockerd in the root
 * namespace, and `nsenter --net`, not `ip netns exec`, to start it). Each test picks its own
 * name and numbers so that engines of different tests never collide.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { rm, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { until } from './until.js';

const exec = promisify(execFile);

/** Where and how to run the engine. */
export interface NetnsEngineOptions {
  /** Short name, [a-z0-9]{1,10}: namespace, socket /run/docker-<name>.sock, data /var/lib/docker-<name>. */
  readonly name: string;
  /** First three octets of the veth /24, such as `10.250.9`: the host side is .1, the engine .2. */
  readonly subnet: string;
  /**
   * The engine's container bridge, such as `172.31.9.1/24`. Without it the engine picks its own
   * (172.17.0.0/16, private to the namespace), and, like every freshly installed engine, lists no
   * `Gateway` in the default bridge's IPAM.
   */
  readonly bip?: string;
  /**
   * Its data root on a btrfs file system of this size (a sparse file, loop-mounted), with Docker's
   * btrfs storage driver: an engine that takes `--storage-opt size` on a machine whose own engine
   * (overlay2 on ext4, no xfs quotas in this kernel) does not. @default the root engine's driver
   */
  readonly btrfsBytes?: number;
  /**
   * Its data root on an ext4 file system of this size (a sparse file, loop-mounted), with the
   * default storage driver: a host whose disk a test can fill.
   */
  readonly ext4Bytes?: number;
  /** False runs it as `dockerd --iptables=false`, as some hardened and rootless hosts do. @default true */
  readonly iptables?: boolean;
  /** How long to wait for the engine to answer. @default 60_000 */
  readonly startTimeoutMs?: number;
}

/** A running engine; `stop` is idempotent and removes everything `start` created. */
export interface NetnsEngine {
  readonly name: string;
  /** `unix:///run/docker-<name>.sock`, for --host and DOCKER_HOST. */
  readonly socketUrl: string;
  readonly socketPath: string;
  /** `tcp://<subnet>.2:2375`, reachable from the root namespace. */
  readonly tcpUrl: string;
  stop(): Promise<void>;
}

function pathsOf(name: string) {
  return {
    netns: name,
    hostVeth: `vh-${name}`,
    peerVeth: `vp-${name}`,
    socketPath: `/run/docker-${name}.sock`,
    dataRoot: `/var/lib/docker-${name}`,
    dataImage: `/var/lib/docker-${name}.disk`,
    execRoot: `/run/docker-${name}`,
    pidFile: `/run/docker-${name}.pid`,
    logFile: `/var/log/dockerd-${name}.log`,
  };
}

/** Starts the engine, first removing what a crashed earlier run with the same name left behind. */
export async function startNetnsEngine(options: NetnsEngineOptions): Promise<NetnsEngine> {
  if (!/^[a-z0-9]{1,10}$/.test(options.name))
    throw new Error(`engine name ${options.name} must match [a-z0-9]{1,10} (veth names are limited to 15 characters)`);
  const p = pathsOf(options.name);
  await teardown(options.name, undefined);
  await setUpNamespace(options);
  await mkdir(p.dataRoot, { recursive: true });
  await mkdir(p.execRoot, { recursive: true });
  const disk =
    options.btrfsBytes !== undefined
      ? { bytes: options.btrfsBytes, mkfs: ['mkfs.btrfs', '-q'] }
      : options.ext4Bytes !== undefined
        ? { bytes: options.ext4Bytes, mkfs: ['mkfs.ext4', '-q', '-F'] }
        : undefined;
  if (disk) {
    await exec('truncate', ['-s', String(disk.bytes), p.dataImage]);
    await exec(disk.mkfs[0]!, [...disk.mkfs.slice(1), p.dataImage]);
    await exec('mount', ['-o', 'loop', p.dataImage, p.dataRoot]);
  }
  const log = createWriteStream(p.logFile, { flags: 'a' });
  const daemon = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${p.netns}`,
      'dockerd',
      '--data-root',
      p.dataRoot,
      '--exec-root',
      p.execRoot,
      '--pidfile',
      p.pidFile,
      '-H',
      `unix://${p.socketPath}`,
      '-H',
      `tcp://${options.subnet}.2:2375`,
      ...(options.bip ? ['--bip', options.bip] : []),
      ...(options.btrfsBytes !== undefined ? ['--storage-driver', 'btrfs'] : []),
      ...(options.iptables === false ? ['--iptables=false'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  daemon.stdout.pipe(log);
  daemon.stderr.pipe(log);
  const engine: NetnsEngine = {
    name: options.name,
    socketPath: p.socketPath,
    socketUrl: `unix://${p.socketPath}`,
    tcpUrl: `tcp://${options.subnet}.2:2375`,
    stop: () => teardown(options.name, daemon),
  };
  try {
    await waitForEngine(engine, daemon, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

/** Copies an image of the root engine to `engine` (images do not travel by themselves). */
export async function shipImage(engine: NetnsEngine, ref: string): Promise<void> {
  const stream = await new Docker().getImage(ref).get();
  await new Promise<void>((resolve, reject) => {
    void new Docker({ socketPath: engine.socketPath }).loadImage(
      stream,
      {},
      (error, output?: NodeJS.ReadableStream) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        output!.on('data', () => undefined);
        output!.once('end', () => resolve());
        output!.once('error', reject);
      },
    );
  });
}

async function setUpNamespace({ name, subnet }: NetnsEngineOptions): Promise<void> {
  const p = pathsOf(name);
  await exec('ip', ['netns', 'add', p.netns]);
  await exec('ip', ['link', 'add', p.hostVeth, 'type', 'veth', 'peer', 'name', p.peerVeth]);
  await exec('ip', ['link', 'set', p.peerVeth, 'netns', p.netns]);
  await exec('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', p.hostVeth]);
  await exec('ip', ['link', 'set', p.hostVeth, 'up']);
  const inside = `ip addr add ${subnet}.2/24 dev ${p.peerVeth} && ip link set ${p.peerVeth} up && ip link set lo up && ip route add default via ${subnet}.1`;
  await exec('ip', ['netns', 'exec', p.netns, 'sh', '-c', inside]);
}

async function waitForEngine(engine: NetnsEngine, daemon: ChildProcess, timeoutMs: number): Promise<void> {
  const log = `/var/log/dockerd-${engine.name}.log`;
  await until(
    `dockerd ${engine.name} to answer on ${engine.socketUrl} (see ${log})`,
    async () => {
      if (daemon.exitCode !== null)
        throw new Error(`dockerd ${engine.name} exited with ${daemon.exitCode}; see ${log}`);
      return exec('docker', ['-H', engine.socketUrl, 'version', '--format', '{{.Server.Version}}']).then(
        () => true,
        () => false, // not up yet
      );
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** Stops dockerd and removes the namespace, veth, mounts and data; keeps going after a failure. */
async function teardown(name: string, daemon: ChildProcess | undefined): Promise<void> {
  const p = pathsOf(name);
  const errors: unknown[] = [];
  const attempt = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      errors.push(new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  };
  // Containers first: dockerd would wait each one's stop timeout (a builder's is its drain
  // timeout, 30 minutes), and a daemon killed before then leaves their processes running.
  await attempt('removing containers', () => removeAllContainers(p.socketPath));
  await attempt('stopping dockerd', () => stopDaemon(daemon, p.pidFile));
  await attempt('unmounting', () => unmountUnder([p.dataRoot, p.execRoot]));
  await attempt('deleting the namespace', () => ignoreMissing(exec('ip', ['netns', 'delete', p.netns])));
  await attempt('deleting the veth', () => ignoreMissing(exec('ip', ['link', 'delete', p.hostVeth])));
  for (const path of [p.dataRoot, p.dataImage, p.execRoot, p.socketPath, p.pidFile])
    await attempt(`removing ${path}`, () => rm(path, { recursive: true, force: true }));
  if (errors.length > 0)
    throw new AggregateError(errors, `tearing down engine ${name} left ${errors.length} problem(s)`);
}

async function removeAllContainers(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return;
  const host = ['-H', `unix://${socketPath}`];
  const listed = await exec('docker', [...host, 'ps', '-aq']).catch(() => ({ stdout: '' }));
  const ids = listed.stdout.split('\n').filter((id) => id.trim() !== '');
  if (ids.length > 0) await exec('docker', [...host, 'rm', '-f', ...ids]);
}

async function stopDaemon(daemon: ChildProcess | undefined, pidFile: string): Promise<void> {
  // A crashed earlier run leaves only the pid file; this run's daemon is its own child.
  const pid = daemon?.pid ?? (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 200)
    await new Promise((resolve) => setTimeout(resolve, 200));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function unmountUnder(dirs: readonly string[]): Promise<void> {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '');
  const inside = points
    .filter((point) => dirs.some((dir) => point === dir || point.startsWith(`${dir}/`)))
    .sort()
    .reverse();
  for (const point of inside) await exec('umount', ['-l', point]);
}

async function ignoreMissing(run: Promise<unknown>): Promise<void> {
  try {
    await run;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    if (!/Cannot find device|No such device|No such file|does not exist|Cannot open network namespace/.test(stderr))
      throw error;
  }
}
