import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { pino } from 'pino';
import { Agent, type AgentConfig } from '../../src/builder/agent/agent.js';
import { DEFAULT_DOCKER_SOCKET, DockerJobBackend, DockerodeContainers } from '../../src/docker/index.js';
import { LABELS } from '../../src/shared/labels.js';
import { packageRoot } from '../../src/shared/package-files.js';
import { freePort } from '../../src/testing/free-port.js';
import type { EgressEntry } from '../../src/config/index.js';
import { TEST_SECRETS } from './services-under-test.js';
import { until } from './until.js';

export const docker = new Dockerode();

/** 2 slots without a CPU limit and 4 GiB each: fits the default `medium` class on a 2-CPU machine. */
const TEST_SLOTS = { slots: 2, slotCpus: 0, slotMemoryBytes: 4 * 1024 ** 3 };

/** `gyre agent` in this process, against the services app under test. */
export async function startAgent(
  servicesUrl: string,
  name: string,
  overrides: Partial<AgentConfig> = {},
): Promise<Agent> {
  const config: AgentConfig = {
    servicesUrl,
    joinSecret: TEST_SECRETS.GYRE_JOIN_SECRET,
    name,
    stateDir: mkdtempSync(join(tmpdir(), 'gyre-agent-')),
    slots: TEST_SLOTS,
    drainTimeoutMs: 600_000,
    egress: { enforce: true, allow: [] },
    maxServicesPerJob: 8,
    helperImage: 'gyre/app:0.1.0',
    version: 'test',
    heartbeatIntervalMs: 1_000,
    killGraceMs: 2_000,
    ...overrides,
  };
  return Agent.start(
    new DockerJobBackend(docker),
    config,
    pino({ level: process.env['GYRE_TEST_LOG'] ?? 'silent' }),
    // What SSH sessions reach the job's containers through, as `gyre agent` gives it.
    new DockerodeContainers({ kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET }, docker),
  );
}

/**
 * The egress policy with these addresses opened to the agent's jobs: the test's git servers run
 * on this host, which the policy refuses, and a job's checkout clones on the job's network.
 */
export function jobsMayReach(...allow: EgressEntry[]): Pick<AgentConfig, 'egress'> {
  return { egress: { enforce: true, allow } };
}

/** `gyre agent` as its own process (dist/cli.js), for signals and `kill -9`. */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly apiPort: number;
  /** Everything it wrote, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
}

export async function spawnAgent(
  servicesUrl: string,
  name: string,
  stateDir: string,
  env: Readonly<Record<string, string>> = {},
): Promise<AgentProcess> {
  const apiPort = await freePort();
  const child = spawn(
    process.execPath,
    [join(packageRoot, 'dist/cli.js'), 'agent', '--state-dir', stateDir, '--api-port', String(apiPort)],
    {
      env: {
        PATH: process.env['PATH'] ?? '',
        GYRE_SERVICES_URL: servicesUrl,
        GYRE_JOIN_SECRET: TEST_SECRETS.GYRE_JOIN_SECRET,
        GYRE_BUILDER_NAME: name,
        GYRE_BUILDER_SLOTS: String(TEST_SLOTS.slots),
        GYRE_SLOT_CPUS: '0',
        GYRE_SLOT_MEMORY: '4G',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, apiPort, output: () => output, exited };
}

/** Containers, networks and volumes labelled as this builder's. */
async function listedFor(builderName: string) {
  const filters = JSON.stringify({ label: [`${LABELS.builder}=${builderName}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers, networks, volumes: volumes.Volumes ?? [] };
}

/** How many containers, networks and volumes are labelled as this builder's. */
export async function leftoversOf(
  builderName: string,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const { containers, networks, volumes } = await listedFor(builderName);
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

/** The ids of this builder's containers and the names of its networks and volumes. */
export async function objectsOf(builderName: string): Promise<Set<string>> {
  const { containers, networks, volumes } = await listedFor(builderName);
  return new Set([
    ...containers.map((c) => c.Id),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
  ]);
}

/** How many networks, volumes and holders a running test agent's pool keeps ready: one of each per slot (resource-pool.ts). */
export const POOL_SIZE = TEST_SLOTS.slots;

/**
 * What a running test agent keeps besides what its jobs made: its pool, and the volume with the
 * `circleci` script (tools-volume.ts). A stopped agent keeps nothing.
 */
export const KEPT_BY_RUNNING_AGENT = { containers: POOL_SIZE, networks: POOL_SIZE, volumes: POOL_SIZE + 1 };

/**
 * Waits until this builder's objects are `expected`: by default a running agent's with nothing
 * of its ended jobs left, only what it keeps. A running agent removes an ended job's
 * containers, network and volume after the job completed, and makes the pool's next pair after a
 * job took one, so a test that looks right after a job ended waits instead of finding either under way.
 */
export async function untilNothingLeftBy(builderName: string, expected = KEPT_BY_RUNNING_AGENT): Promise<void> {
  let left = await leftoversOf(builderName);
  try {
    await until(
      `builder ${builderName} to hold ${JSON.stringify(expected)}`,
      async () => {
        left = await leftoversOf(builderName);
        return (
          left.containers === expected.containers &&
          left.networks === expected.networks &&
          left.volumes === expected.volumes
        );
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; left: ${JSON.stringify(left)}`, { cause: error });
  }
}
