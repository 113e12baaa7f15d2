/**
 * Decides what a verified, decoded delivery means for Gyre. Pure and total: any event name and
 * any JSON value give a {@link DeliveryOutcome}, never an exception.
 */
import type { DeliveryOutcome } from './outcome.js';
import { checkPayload, pingPayload } from './payload-schemas.js';
import { interpretPullRequest } from './pull-request.js';
import { interpretPush } from './push.js';
import { withPeekedRepository } from './repository.js';

/**
 * Interprets one delivery.
 *
 * @param event the `X-GitHub-Event` header, e.g. `push`
 * @param body the decoded JSON body (see decodeDeliveryBody)
 */
export function interpretDelivery(event: string, body: unknown): DeliveryOutcome {
  switch (event) {
    case 'push':
      return interpretPush(body);
    case 'pull_request':
      return interpretPullRequest(body);
    case 'ping':
      return interpretPing(body);
    default:
      return withPeekedRepository(
        { kind: 'ignored', reason: `event ${JSON.stringify(event.slice(0, 100))} is not used by Gyre` },
        body,
      );
  }
}

function interpretPing(body: unknown): DeliveryOutcome {
  const checked = checkPayload(pingPayload, body);
  if (!checked.ok) return withPeekedRepository({ kind: 'invalid', problems: checked.problems }, body);
  return withPeekedRepository({ kind: 'ping', zen: checked.value.zen, hookId: checked.value.hook_id }, body);
}
