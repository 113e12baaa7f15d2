/**
 * Redelivery of a stored delivery, shared by the API route and the project's deliveries page:
 * Gyre acts on the stored bytes again as if they had just arrived (for example after fixing the
 * project's git URL or linking its repository), and records the new outcome on the same row. The
 * signature was checked when the delivery first arrived, so it is not checked again.
 */
import { ConflictError } from '../../../shared/errors.js';
import { readDeliveryHeaders } from '../../core/webhooks/index.js';
import type { DeliveryOutcomeLabel } from '../../stores/deliveries/delivery-store.js';
import { actOnDelivery, type InboxAnswer, type InboxDeps } from './receive-delivery.js';

/** What a redelivery did: the project it was for, its new outcome, and the answer GitHub would have had. */
export interface Redelivery {
  readonly projectId: number;
  readonly outcome: DeliveryOutcomeLabel;
  readonly answer: InboxAnswer;
}

/** Acts on delivery `id` again; a delivery whose project was deleted is refused (ConflictError). */
export async function redeliver(deps: InboxDeps, id: number): Promise<Redelivery> {
  const delivery = await deps.deliveries.get(id);
  const raw = await deps.deliveries.raw(delivery.id);
  if (raw.projectId === null) throw new ConflictError(`delivery ${delivery.id} belongs to a project that was deleted`);
  const headers = readDeliveryHeaders(raw.headers);
  const encoding = headers.ok ? headers.headers.bodyEncoding : 'json';
  const action = await actOnDelivery(deps, delivery.id, raw.projectId, delivery.event, raw.body, encoding);
  await deps.deliveries.recordOutcome(delivery.id, action.outcome, action.detail, action.status);
  return { projectId: raw.projectId, outcome: action.outcome, answer: { status: action.status, body: action.body } };
}
