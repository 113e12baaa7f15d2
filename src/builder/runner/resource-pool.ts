/**
 * Job networks and workspace volumes made ahead of demand (issue 21), each network with its
 * namespace already set up. Making a bridge network takes the engine 60–100 ms, and attaching a
 * container to it another 100–250 ms (a veth pair, addresses, the embedded DNS server's rules),
 * both on every job's way to its first step. So the pool makes the next job's pair while the
 * current job runs, and starts a holder on the network: an idle container of the helper image
 * whose network namespace the job's primary joins (Docker's `container:` network mode, as
 * Kubernetes' pause container holds a pod's). The primary is then on the job's network at once,
 * behind the same bridge, so the egress policy holds as before, and reaches the services by their
 * aliases through the holder's DNS server.
 *
 * An engine fixes an object's labels when it is made, and a pooled pair is made before its job is
 * known: it carries the builder's labels only, not the job's. So the label sweep that removes a
 * job's containers does not find it, and the job's removal takes it by name as well
 * (`cleanupAttempt`). What a crash leaves, the agent's next start removes by the builder's labels.
 */
import { randomBytes } from 'node:crypto';
import type { JobBackend } from '../../docker/index.js';
import { messageOf } from '../../shared/errors.js';
import { builderObjectLabels } from '../../shared/labels.js';

/** A network and a volume of one name, and the container that holds the network's namespace. */
export interface PooledResources {
  readonly name: string;
  /** The holder's container id. */
  readonly holder: string;
}

/** The holder: one process that sleeps, as nobody, with nothing to write and next to no room. */
const HOLDER_LIMITS = { cpus: 0, memoryBytes: 16 * 1024 ** 2, pids: 4 };

/**
 * The most a pool holds, whatever the slots. Every bridge network takes one of the engine's
 * address pools, of which a default engine has about 30 for jobs, their checkouts and the pool
 * together; only jobs starting at once need one each.
 */
export const MAX_POOL_SIZE = 4;

/** How the engine says it has no address pool left for another network. */
const NO_ADDRESS_POOL = /non-overlapping IPv4 address pool/i;

export class JobResourcePool {
  /** Made and not yet taken, oldest first. */
  private readonly ready: PooledResources[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly backend: JobBackend,
    private readonly builderName: string,
    /** The image holders run (the builder's helper image, which is always present): `sleep` is all they need. */
    private readonly holderImage: string,
    /** How many to hold: one per slot, so that jobs starting together all find one. */
    private readonly size: number,
    /** Making one failed: the pool tries again at the next `fill`, and jobs meanwhile make their own. */
    private readonly onFailure: (error: unknown) => void,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, not ${size}`);
  }

  /**
   * Makes pairs until `size` are ready, one at a time; does nothing while it already does. Called
   * once a job's primary runs, not when the job takes its pair: made meanwhile, the next pair would
   * slow that job's start, as the engine does one network's set-up at a time.
   */
  fill(): void {
    if (this.closed || this.filling !== undefined) return;
    this.filling = this.fillUp().finally(() => (this.filling = undefined));
  }

  /** A ready pair for a job, or undefined when none is ready and the job must make its own. */
  take(): PooledResources | undefined {
    return this.ready.shift();
  }

  /** How many pairs are ready now. */
  get readyCount(): number {
    return this.ready.length;
  }

  /**
   * Removes the newest ready one, so that a job whose network found no address pool left gets
   * that one's; whether there was one.
   */
  async giveBack(): Promise<boolean> {
    const pooled = this.ready.pop();
    if (pooled === undefined) return false;
    await removePooled(this.backend, pooled);
    return true;
  }

  /**
   * Removes every ready one and makes new ones: a job found its holder stopped (the engine
   * restarted, or someone stopped it), and those made at the same time may be too.
   */
  renew(): void {
    const stale = this.ready.splice(0);
    void Promise.all(stale.map((pooled) => removePooled(this.backend, pooled).catch(() => undefined))).then(() =>
      this.fill(),
    );
  }

  /** Whether a ready one's holder still runs on its network (a stopped container has no address there). */
  async holds(pooled: PooledResources): Promise<boolean> {
    return (await this.backend.addressOn(pooled.holder, pooled.name).catch(() => undefined)) !== undefined;
  }

  /** Stops making pairs and removes those not taken; a taken pair goes with its job. */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
    for (const pooled of this.ready.splice(0)) await removePooled(this.backend, pooled);
  }

  private async fillUp(): Promise<void> {
    while (!this.closed && this.ready.length < this.size) {
      const name = `gyre-pool-${randomBytes(6).toString('hex')}`;
      let holder: string | undefined;
      try {
        holder = await this.make(name);
      } catch (error) {
        await removePooled(this.backend, { name, holder: holder ?? name }).catch(() => undefined);
        this.onFailure(error);
        return;
      }
      if (this.closed) {
        await removePooled(this.backend, { name, holder });
        return;
      }
      this.ready.push({ name, holder });
    }
  }

  /** Makes the network and the volume, then starts the holder on the network; resolves to the holder's id. */
  private async make(name: string): Promise<string> {
    const labels = builderObjectLabels(this.builderName);
    const made = await Promise.allSettled([
      this.backend.createNetwork(name, labels),
      this.backend.createVolume(name, labels),
    ]);
    const failed = made.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return await this.backend.startContainer({
      image: this.holderImage,
      name,
      entrypoint: ['sleep', 'infinity'],
      user: 'nobody',
      labels,
      network: { name },
      readOnlyRoot: true,
      limits: HOLDER_LIMITS,
    });
  }
}

/**
 * Creates a job's network (its own, or a checkout's); when the engine has no address pool left,
 * takes one of the pool's ready networks away and tries once more.
 */
export async function createJobNetwork(
  backend: JobBackend,
  name: string,
  labels: Readonly<Record<string, string>>,
  pool: JobResourcePool | undefined,
): Promise<void> {
  try {
    await backend.createNetwork(name, labels);
  } catch (error) {
    if (!NO_ADDRESS_POOL.test(messageOf(error)) || !(await pool?.giveBack())) throw error;
    await backend.createNetwork(name, labels);
  }
}

/**
 * Removes a pooled pair and its holder, once no job container uses them; what is gone already is
 * fine. The holder goes first: the network is not removed while a container is attached.
 */
export async function removePooled(backend: JobBackend, pooled: PooledResources): Promise<void> {
  await backend.removeContainer(pooled.holder);
  const removed = await Promise.allSettled([backend.removeNetwork(pooled.name), backend.removeVolume(pooled.name)]);
  const failed = removed.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
