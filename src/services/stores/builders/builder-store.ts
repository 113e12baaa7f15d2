/**
 * Builders on the services side: registration (with a credential of their own, stored hashed),
 * authentication, the drain state machine and revocation.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  BuilderRevokedError,
  type BuilderFacts,
  type BuilderState,
  type BuilderStatus,
  BUILDER_LOST_AFTER_MS,
} from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import { builderColumns, toBuilder, type Builder, type BuilderRow } from './builder-rows.js';

const hashCredential = (credential: string) => createHash('sha256').update(credential, 'utf8').digest();

export class BuilderStore {
  constructor(private readonly db: Database) {}

  /**
   * Registers a builder. With a valid identity the same builder is kept (and revived from
   * `lost` or `drained`); a new name gets a new builder and credential; a taken name without its
   * credential is refused, so one host cannot take over another's jobs.
   */
  async register(
    facts: BuilderFacts,
    identity?: { builderId: number; credential: string },
  ): Promise<{ builder: Builder; credential?: string }> {
    if (identity) {
      const known = await this.authenticate(identity.builderId, identity.credential);
      if (known) return { builder: await this.updateFacts(known.id, facts) };
      const revoked = await this.revokedName(identity.builderId, identity.credential);
      if (revoked !== undefined) throw revokedError(revoked);
    }
    const credential = randomBytes(32).toString('base64url');
    const result = await this.db.query<BuilderRow>(
      `INSERT INTO builders AS b (name, host, cpus, memory_bytes, docker_version, version, slots, slot_cpus, slot_memory_bytes, credential_hash, docker_in_builds, ssh_host, ssh_port, ssh_host_key_fingerprint)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (name) DO NOTHING RETURNING ${builderColumns}`,
      [
        facts.name,
        facts.host,
        facts.cpus,
        facts.memoryBytes,
        facts.dockerVersion,
        facts.version,
        facts.slots,
        facts.slotCpus,
        facts.slotMemoryBytes,
        hashCredential(credential),
        facts.dockerInBuilds ?? 'off',
        ...sshColumns(facts),
      ],
    );
    const row = result.rows[0];
    if (!row)
      throw new ConflictError(
        `a builder named "${facts.name}" is already registered; choose another name (GYRE_BUILDER_NAME), or remove the old builder first`,
      );
    return { builder: toBuilder(row), credential };
  }

  /** The name of the builder this identity belonged to, when an administrator revoked it. */
  async revokedName(builderId: number, credential: string): Promise<string | undefined> {
    const result = await this.db.query<{ name: string }>(
      "SELECT name FROM builders WHERE id = $1 AND credential_hash = $2 AND state = 'revoked'",
      [builderId, hashCredential(credential)],
    );
    return result.rows[0]?.name;
  }

  /** The builder for a credential, unless it is unknown or revoked; marks it seen. */
  async authenticate(builderId: number, credential: string): Promise<Builder | undefined> {
    const result = await this.db.query<BuilderRow>(
      `UPDATE builders b SET last_seen_at = now(), state = CASE WHEN state = 'lost' THEN 'active' ELSE state END
       WHERE id = $1 AND credential_hash = $2 AND state <> 'revoked' RETURNING ${builderColumns}`,
      [builderId, hashCredential(credential)],
    );
    return result.rows[0] && toBuilder(result.rows[0]);
  }

  private async updateFacts(id: number, facts: BuilderFacts): Promise<Builder> {
    const result = await this.db.query<BuilderRow>(
      `UPDATE builders b SET host = $2, cpus = $3, memory_bytes = $4, docker_version = $5, version = $6, slots = $7, slot_cpus = $8, slot_memory_bytes = $9, docker_in_builds = $10,
         ssh_host = $11, ssh_port = $12, ssh_host_key_fingerprint = $13,
         state = CASE WHEN state IN ('lost', 'drained') THEN 'active' ELSE state END, drain_deadline = CASE WHEN state = 'drained' THEN NULL ELSE drain_deadline END,
         last_seen_at = now()
       WHERE id = $1 RETURNING ${builderColumns}`,
      [
        id,
        facts.host,
        facts.cpus,
        facts.memoryBytes,
        facts.dockerVersion,
        facts.version,
        facts.slots,
        facts.slotCpus,
        facts.slotMemoryBytes,
        facts.dockerInBuilds ?? 'off',
        ...sshColumns(facts),
      ],
    );
    return toBuilder(result.rows[0]!);
  }

  async list(): Promise<Builder[]> {
    const result = await this.db.query<BuilderRow>(`SELECT ${builderColumns} FROM builders b ORDER BY b.id`);
    return result.rows.map(toBuilder);
  }

  async get(id: number): Promise<Builder> {
    const result = await this.db.query<BuilderRow>(`SELECT ${builderColumns} FROM builders b WHERE b.id = $1`, [id]);
    if (!result.rows[0]) throw new NotFoundError(`builder ${id}`);
    return toBuilder(result.rows[0]);
  }

  /** Starts (or shortens) a drain. Idempotent: draining again keeps the earlier deadline unless the new one is sooner. */
  async drain(id: number, deadlineMs: number, actor: string): Promise<Builder> {
    const result = await this.db.query<BuilderRow>(
      audited(
        `UPDATE builders b SET state = CASE WHEN state = 'drained' THEN 'drained' ELSE 'draining' END,
           drain_deadline = LEAST(COALESCE(drain_deadline, 'infinity'), now() + make_interval(secs => $2::double precision / 1000))
         WHERE id = $1 AND state IN ('active', 'draining', 'drained', 'lost') RETURNING ${builderColumns}`,
        'builder.drain',
      ),
      [id, deadlineMs, actor],
    );
    return result.rows[0] ? toBuilder(result.rows[0]) : this.refuse(id, 'drain');
  }

  /** Marks a draining builder without jobs `drained` (the one builder, or every builder). */
  async settleDrains(id?: number): Promise<number> {
    const result = await this.db.query(
      `UPDATE builders b SET state = 'drained' WHERE state = 'draining' AND ($1::bigint IS NULL OR id = $1)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.builder_id = b.id AND j.state IN ('leased', 'running'))`,
      [id ?? null],
    );
    return result.rowCount ?? 0;
  }

  /** Marks active builders that have not been seen for BUILDER_LOST_AFTER_MS `lost`; returns how many. */
  async markSilentLost(): Promise<number> {
    const result = await this.db.query(
      "UPDATE builders SET state = 'lost' WHERE state = 'active' AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)",
      [BUILDER_LOST_AFTER_MS],
    );
    return result.rowCount ?? 0;
  }

  /** Makes a draining or drained builder active again; a drained agent that already exited shows up as lost. */
  async cancelDrain(id: number, actor: string): Promise<Builder> {
    const result = await this.db.query<BuilderRow>(
      audited(
        `UPDATE builders b SET state = 'active', drain_deadline = NULL WHERE id = $1 AND state IN ('draining', 'drained') RETURNING ${builderColumns}`,
        'builder.cancel_drain',
        '$2',
      ),
      [id, actor],
    );
    return result.rows[0] ? toBuilder(result.rows[0]) : this.refuse(id, 'cancel the drain of');
  }

  /** Revokes the credential; the builder's jobs are requeued by the caller in the same step. */
  async revoke(id: number, actor: string): Promise<Builder> {
    const result = await this.db.query<BuilderRow>(
      audited(
        `UPDATE builders b SET state = 'revoked' WHERE id = $1 RETURNING ${builderColumns}`,
        'builder.revoke',
        '$2',
      ),
      [id, actor],
    );
    if (!result.rows[0]) throw new NotFoundError(`builder ${id}`);
    return toBuilder(result.rows[0]);
  }

  private async refuse(id: number, action: string): Promise<never> {
    const builder = await this.get(id);
    throw new ConflictError(`cannot ${action} builder ${builder.name}: it is ${builder.state}`);
  }
}

/**
 * Wraps a state change so the audit log records it in the same statement. The entry's time is
 * taken after the change got its row lock, so it orders correctly against leases (see leaseJobs).
 */
function audited(update: string, action: string, actorParam = '$3'): string {
  return `WITH changed AS (${update}),
    logged AS (INSERT INTO audit_log (actor, action, target, detail, at)
               SELECT ${actorParam}, '${action}', changed.id::text, jsonb_build_object('builder', changed.name, 'state', changed.state), clock_timestamp() FROM changed)
    SELECT * FROM changed`;
}

/** The part of a builder the protocol returns on every lease and heartbeat. */
export function statusOf(builder: { state: BuilderState; drainDeadline: string | null }): BuilderStatus {
  return { state: builder.state, drainDeadline: builder.drainDeadline };
}

/** What a revoked builder is told, on any call: why it must stop, and what its operator can do. */

/** The refusal a revoked builder gets, on every call and when it registers again. */
export function revokedError(name: string): BuilderRevokedError {
  return new BuilderRevokedError(
    `builder ${name} was revoked by an administrator; remove it on its host with \`gyre builder remove ${name}\` (or stop its agent), or join the host again under another name`,
  );
}

/** ssh_host, ssh_port and ssh_host_key_fingerprint: all null for a builder that offers no SSH. */
function sshColumns(facts: BuilderFacts): [string | null, number | null, string | null] {
  return [facts.ssh?.host ?? null, facts.ssh?.port ?? null, facts.ssh?.hostKeyFingerprint ?? null];
}
