/**
 * The one error the testing module throws: what failed, why, and how to fix it.
 */

export class GyreEnvironmentError extends Error {
  constructor(
    /** What the environment was doing, e.g. "starting the services stack". */
    readonly step: string,
    /** Why it failed. */
    readonly reason: string,
    /** How to fix it, when there is something to do. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(`GyreEnvironment: ${step} failed: ${reason}${hint === undefined ? '' : `\n  fix: ${hint}`}`, options);
    this.name = 'GyreEnvironmentError';
  }
}

export { messageOf } from '../shared/errors.js';
