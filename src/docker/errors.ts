/**
 * The adapter's one error boundary: failures of dockerode and docker-modem become GyreErrors
 * that name the host and the operation. Classification uses `statusCode` and Node's error
 * `code`, never message text.
 */
import { GyreError, UnavailableError } from '../shared/errors.js';
import { describeDockerHost, type DockerHost } from './host.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

interface ErrorFields {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly json?: unknown;
  readonly message?: unknown;
}

/** The HTTP status the engine answered with, when the error came from an answer. */
export function statusCodeOf(error: unknown): number | undefined {
  const status = (error as ErrorFields | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Wraps an adapter failure.
 * @param action what was being done, such as `building gyre/app:0.1.0`
 */
export function toDockerError(error: unknown, host: DockerHost, action: string): GyreError {
  if (error instanceof GyreError) return error;
  const where = describeDockerHost(host);
  const fields = (error ?? {}) as ErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new UnavailableError(
      `Docker host ${where} did not answer while ${action} (${code}). Is dockerd running there? Pick another host with --host or DOCKER_HOST.`,
      { cause: error },
    );
  }
  const status = statusCodeOf(error);
  const detail = engineMessage(fields);
  if (status === 404) return new GyreError(`Docker host ${where}: not found while ${action}: ${detail}`, undefined, { cause: error });
  if (status !== undefined) return new GyreError(`Docker host ${where} refused ${action} (HTTP ${status}): ${detail}`, undefined, { cause: error });
  return new GyreError(`Docker host ${where}: ${action} failed: ${detail}`, undefined, { cause: error });
}

/** The engine's own explanation of a failed call, for messages that name no host. */
export function engineErrorMessage(error: unknown): string {
  const fields: ErrorFields = typeof error === 'object' && error !== null ? error : { message: String(error) };
  return engineMessage(fields);
}

/** The engine puts its own explanation in the JSON body; prefer it over modem's summary. */
function engineMessage(fields: ErrorFields): string {
  const json = fields.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return typeof fields.message === 'string' ? fields.message : String(fields.message);
}
