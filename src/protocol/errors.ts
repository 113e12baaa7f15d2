/**
 * The protocol's refusals, one class each for both sides: the services box throws them (its HTTP
 * layer maps them to their status and `error.code`), and the agent's client turns those answers
 * back into the same classes.
 */
import { ConflictError, ForbiddenError } from '../shared/errors.js';
import type { LeaseToken } from './messages.js';

/** The `error.code` of each refusal, as the services box sends it. */
export const PROTOCOL_ERROR_CODES = {
  staleLease: 'stale_lease',
  builderRevoked: 'builder_revoked',
} as const;

/** The `error.code` of the 403 a revoked builder gets; a 403 without it (a proxy's, say) is not a revocation. */
export const BUILDER_REVOKED_CODE = PROTOCOL_ERROR_CODES.builderRevoked;

/** 409: a write's `(attempt, leaseId)` is not the job's current lease. The agent kills the job's containers at once. */
export class StaleLeaseError extends ConflictError {
  constructor(message: string) {
    super(message, PROTOCOL_ERROR_CODES.staleLease);
  }

  /** The services box's refusal of a write that holds `token` for `jobId`. */
  static of(jobId: number, token: LeaseToken): StaleLeaseError {
    return new StaleLeaseError(
      `job ${jobId} attempt ${token.attempt} lease ${token.leaseId} is no longer current; stop its containers`,
    );
  }
}

/** 403 `builder_revoked`: an administrator revoked the builder; it must stop for good. */
export class BuilderRevokedError extends ForbiddenError {
  constructor(message: string) {
    super(message, BUILDER_REVOKED_CODE);
  }
}
