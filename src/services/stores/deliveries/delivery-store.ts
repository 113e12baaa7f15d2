/**
 * Raw webhook deliveries: stored before Gyre answers 2xx, deduplicated on GitHub's delivery id.
 */
import type { Database } from '../../database/create-pool.js';
import { NotFoundError } from '../../../shared/errors.js';

/** What Gyre made of a delivery; `refused` names a repository its project is not linked to. */
export type DeliveryOutcomeLabel = 'received' | 'ping' | 'pipeline' | 'skipped' | 'ignored' | 'invalid' | 'refused';

export interface NewDelivery {
  readonly deliveryId: string;
  readonly event: string;
  readonly projectId: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface DeliverySummary {
  readonly id: number;
  readonly deliveryId: string;
  readonly event: string;
  readonly projectId: number | null;
  readonly outcome: DeliveryOutcomeLabel;
  readonly outcomeDetail: string | null;
  readonly statusCode: number | null;
  /** The newest pipeline it created (redelivery can create more). */
  readonly pipelineId: number | null;
  readonly receivedAt: string;
}

interface DeliveryRow {
  id: string;
  delivery_id: string;
  event: string;
  project_id: string | null;
  outcome: DeliveryOutcomeLabel;
  outcome_detail: string | null;
  status_code: number | null;
  pipeline_id: string | null;
  received_at: Date;
}

const COLUMNS = `d.id, d.delivery_id, d.event, d.project_id, d.outcome, d.outcome_detail, d.status_code, d.received_at,
  (SELECT max(p.id) FROM pipelines p WHERE p.delivery_id = d.id) AS pipeline_id`;

export class DeliveryStore {
  constructor(private readonly db: Database) {}

  /** Stores a delivery; returns its row id, or undefined when this delivery id was stored before. */
  async insert(delivery: NewDelivery): Promise<number | undefined> {
    const result = await this.db.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (delivery_id, event, project_id, headers, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (delivery_id) DO NOTHING RETURNING id`,
      [delivery.deliveryId, delivery.event, delivery.projectId, JSON.stringify(delivery.headers), delivery.body],
    );
    return result.rows[0] ? Number(result.rows[0].id) : undefined;
  }

  async recordOutcome(
    id: number,
    outcome: DeliveryOutcomeLabel,
    detail: string | null,
    statusCode: number,
  ): Promise<void> {
    // Details can quote the payload, and PostgreSQL text cannot hold NUL characters nor half a
    // surrogate pair (JSON.parse's message may cut a quoted character in two): both become U+FFFD.
    const storable = detail?.replaceAll('\u0000', '\uFFFD').toWellFormed() ?? null;
    await this.db.query(
      'UPDATE webhook_deliveries SET outcome = $2, outcome_detail = $3, status_code = $4, processed_at = now() WHERE id = $1',
      [id, outcome, storable, statusCode],
    );
  }

  async findByDeliveryId(deliveryId: string): Promise<DeliverySummary | undefined> {
    const result = await this.db.query<DeliveryRow>(
      `SELECT ${COLUMNS} FROM webhook_deliveries d WHERE d.delivery_id = $1`,
      [deliveryId],
    );
    return result.rows[0] && toSummary(result.rows[0]);
  }

  async get(id: number): Promise<DeliverySummary> {
    const result = await this.db.query<DeliveryRow>(`SELECT ${COLUMNS} FROM webhook_deliveries d WHERE d.id = $1`, [
      id,
    ]);
    if (!result.rows[0]) throw new NotFoundError(`delivery ${id}`);
    return toSummary(result.rows[0]);
  }

  /** The raw request as received, for redelivery. */
  async raw(id: number): Promise<{ headers: Record<string, string>; body: Buffer; projectId: number | null }> {
    const result = await this.db.query<{ headers: Record<string, string>; body: Buffer; project_id: string | null }>(
      'SELECT headers, body, project_id FROM webhook_deliveries WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`delivery ${id}`);
    return { headers: row.headers, body: row.body, projectId: row.project_id === null ? null : Number(row.project_id) };
  }

  async list(page: { limit: number; before?: number; projectId?: number }): Promise<DeliverySummary[]> {
    const result = await this.db.query<DeliveryRow>(
      `SELECT ${COLUMNS} FROM webhook_deliveries d WHERE ($1::bigint IS NULL OR d.id < $1) AND ($2::bigint IS NULL OR d.project_id = $2) ORDER BY d.id DESC LIMIT $3`,
      [page.before ?? null, page.projectId ?? null, page.limit],
    );
    return result.rows.map(toSummary);
  }
}

function toSummary(row: DeliveryRow): DeliverySummary {
  return {
    id: Number(row.id),
    deliveryId: row.delivery_id,
    event: row.event,
    projectId: row.project_id === null ? null : Number(row.project_id),
    outcome: row.outcome,
    outcomeDetail: row.outcome_detail,
    statusCode: row.status_code,
    pipelineId: row.pipeline_id === null ? null : Number(row.pipeline_id),
    receivedAt: row.received_at.toISOString(),
  };
}
