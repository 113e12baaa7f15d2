/**
 * The adapter's one error boundary: failures of dockerode and docker-modem become GyreErrors
 * that name the host and the operation. Classification uses `statusCode` and Node's error
 * `code`, never message text.
 */
import { GyreError, UnavailableError } from '../shared/errors.js';
import { describeDockerHost, type DockerHost } from './host.js';
import { unreachableHints, type FailureStage } from './host-hints.js';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** Node's TLS failures (`ERR_TLS_*`, `ERR_SSL_*`, `EPROTO`) and OpenSSL's certificate codes. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_/;

interface ErrorFields {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  /** ssh2 sets it on its errors: `client-authentication`, `client-timeout`, `handshake`, ... */
  readonly level?: unknown;
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
  const failure = connectionFailure(fields);
  if (failure !== undefined) {
    return new UnavailableError(
      `Docker host ${where} ${failure.verb} while ${action} (${failure.detail}). ${unreachableHints(host, failure.stage)} Pick another host with --host or DOCKER_HOST.`,
      {
        cause: error,
      },
    );
  }
  const status = statusCodeOf(error);
  const detail = engineMessage(fields);
  if (status === 404)
    return new GyreError(`Docker host ${where}: not found while ${action}: ${detail}`, undefined, { cause: error });
  if (status !== undefined)
    return new GyreError(`Docker host ${where} refused ${action} (HTTP ${status}): ${detail}`, undefined, {
      cause: error,
    });
  return new GyreError(`Docker host ${where}: ${action} failed: ${detail}`, undefined, { cause: error });
}

/** How a connection failed before the engine could answer, or undefined when it answered. */
function connectionFailure(fields: ErrorFields): { verb: string; detail: string; stage: FailureStage } | undefined {
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const message = typeof fields.message === 'string' ? (fields.message.split('\n')[0] ?? '') : '';
  if (typeof fields.level === 'string' && fields.level !== 'client-socket')
    return { verb: 'could not be reached over ssh', detail: `${fields.level}: ${message}`, stage: 'connect' };
  if (code === undefined) return undefined;
  if (UNREACHABLE_CODES.has(code)) return { verb: 'did not answer', detail: code, stage: 'connect' };
  // OpenSSL's own lines (`...:error:0A00045C:SSL routines:...`) add nothing to the code.
  if (TLS_CODE.test(code))
    return {
      verb: 'failed the TLS handshake',
      detail: message === '' || message.includes(':error:') ? code : `${code}: ${message}`,
      stage: 'tls',
    };
  return undefined;
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

/** A helper container that ran and exited non-zero: the engine was fine, the command was not. */
export class HelperExitError extends GyreError {
  constructor(
    readonly status: number,
    stderrTail: string,
  ) {
    super(`the helper container exited with code ${status}: ${stderrTail.trim() || 'no output'}`);
  }
}

/** Whether `error`, or an error it was caused by, is a {@link HelperExitError}. */
export function isHelperExit(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof HelperExitError) return true;
  return false;
}
