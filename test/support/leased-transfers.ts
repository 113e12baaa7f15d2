/**
 * What the integration tests of the transfer routes share: a registered builder that leases the
 * jobs of seeded workflows and ends its leases after each test, the agent's real TransferClient
 * for a lease, and zstd tars as the runner sends them.
 */
import { PassThrough, type Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdCompressSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { pino } from 'pino';
import { ProtocolClient } from '../../src/builder/agent/protocol-client.js';
import { TransferClient } from '../../src/builder/agent/transfer-client.js';
import { leaseTokenOf, type JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { makeJob } from './runner-jobs.js';
import { seedWorkflow } from './seed-jobs.js';
import { TEST_SECRETS, type ServicesUnderTest } from './services-under-test.js';
import { SIMULATED_FACTS } from './simulated-builder.js';

/** A zstd tar of `files`, as the runner sends it. */
export async function archiveBytes(files: Record<string, string>): Promise<Buffer> {
  const out = pack();
  for (const [name, text] of Object.entries(files)) out.entry({ name }, text);
  out.finalize();
  return zstdCompressSync(await buffer(out.pipe(new PassThrough()) as Readable));
}

let builders = 0;

export class LeasingBuilder {
  /** Leases taken since the last `endLeases`. */
  readonly #leased: JobLease[] = [];

  private constructor(
    readonly gyre: ServicesUnderTest,
    readonly db: Database,
    readonly client: ProtocolClient,
  ) {}

  /** Registers a builder with the services under test. */
  static async register(gyre: ServicesUnderTest): Promise<LeasingBuilder> {
    const client = new ProtocolClient(gyre.base);
    await client.register(TEST_SECRETS.GYRE_JOIN_SECRET, { facts: { ...SIMULATED_FACTS, name: `t${++builders}` } });
    return new LeasingBuilder(gyre, createDatabasePool(gyre.database.url, pino({ level: 'silent' })), client);
  }

  async createProject(name: string): Promise<number> {
    const created = await this.gyre.api('/api/v1/projects', { body: { name, gitUrl: 'https://git.example/x.git' } });
    return ((await created.json()) as { id: number }).id;
  }

  /** Leases the named jobs of a fresh workflow (jobs with no `requires` are leased first). */
  async leaseWorkflow(
    project: number,
    jobs: { name: string; requires?: string[] }[],
  ): Promise<{ workflowId: number; lease: (name: string) => Promise<JobLease> }> {
    const { workflowId } = await seedWorkflow(this.db, project, jobs);
    await this.db.query('UPDATE jobs SET spec = $2 WHERE workflow_id = $1', [
      workflowId,
      JSON.stringify(makeJob([]).spec),
    ]);
    return {
      workflowId,
      lease: async (name) => {
        const { leases } = await this.client.lease({ max: 8, waitSeconds: 0 });
        const found = leases.find((l) => l.context.jobName === name);
        if (!found) throw new Error(`no lease for ${name}: ${leases.map((l) => l.context.jobName).join(', ')}`);
        await this.client.ack(found.jobId, leaseTokenOf(found));
        this.#leased.push(found);
        return found;
      },
    };
  }

  transfersOf(lease: JobLease): TransferClient {
    return new TransferClient(this.client, lease.jobId, leaseTokenOf(lease), lease.directUploads);
  }

  /** Ends a lease as a successful job, so a downstream job can be leased. */
  complete(lease: JobLease): Promise<unknown> {
    return this.client.complete(lease.jobId, { ...leaseTokenOf(lease), outcome: 'success', logsAcknowledged: true });
  }

  /** Ends every lease taken, so the builder's slots are free for the next test. */
  async endLeases(): Promise<void> {
    // A test may have ended its own lease already (a 409 then says so).
    for (const lease of this.#leased.splice(0)) await this.complete(lease).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.db.end();
  }
}
