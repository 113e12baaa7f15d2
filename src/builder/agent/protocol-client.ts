/**
 * The agent's side of the builder protocol: one typed method per route, and one error class
 * per meaning of an answer (see src/protocol/contract.ts, "Fencing: what each status code means").
 */
import {
  BUILDER_API_PREFIX,
  BUILDER_REVOKED_CODE,
  type BuilderStatus,
  type CompleteRequest,
  type DrainRequest,
  type JobHeartbeatResponse,
  type LeaseRequest,
  type LeaseResponse,
  type LeaseToken,
  type LogChunkRequest,
  type RegisterRequest,
  type RegisterResponse,
  type StepReport,
} from '../../protocol/index.js';
import { GyreError, UnavailableError } from '../../shared/errors.js';
import { parseJsonFrom } from '../../shared/parse-json.js';

/** 409: the lease is stale. The job's containers must be killed and no write retried. */
export class StaleLeaseError extends GyreError {}

/** 401: the join secret or the builder's credential was refused. */
export class CredentialRefusedError extends GyreError {}

/** 403: an administrator revoked this builder; it must stop for good. A refusal like a 401, for every caller that only needs to stop. */
export class BuilderRevokedError extends CredentialRefusedError {}

/** Any other 4xx: the request itself is wrong, so sending it again cannot help. */
export class RequestRefusedError extends GyreError {}

/** The builder's identity, kept across restarts. */
export interface BuilderIdentity {
  readonly builderId: number;
  readonly credential: string;
}

/** How long a request without an answer is given, beyond a lease's own long-poll wait. */
const REQUEST_TIMEOUT_MS = 20_000;

export class ProtocolClient {
  private identity: BuilderIdentity | undefined;

  /** @param servicesUrl where the services box answers, e.g. `http://10.0.0.5` */
  constructor(private readonly servicesUrl: string) {}

  async register(joinSecret: string, request: RegisterRequest): Promise<RegisterResponse> {
    const answer = await this.send<RegisterResponse>('POST', '/register', request, `Join ${joinSecret}`);
    this.identity = {
      builderId: answer.builderId,
      credential: answer.credential ?? request.identity?.credential ?? '',
    };
    return answer;
  }

  /** The identity the last registration gave, to keep for the next start. */
  get currentIdentity(): BuilderIdentity | undefined {
    return this.identity;
  }

  lease(request: LeaseRequest, signal?: AbortSignal): Promise<LeaseResponse> {
    return this.authed('POST', '/lease', request, request.waitSeconds * 1000, signal);
  }

  heartbeat(): Promise<{ builder: BuilderStatus }> {
    return this.authed('POST', '/heartbeat', {});
  }

  drain(request: DrainRequest): Promise<{ builder: BuilderStatus }> {
    return this.authed('POST', '/drain', request);
  }

  ack(jobId: number, token: LeaseToken): Promise<void> {
    return this.authed('POST', `/jobs/${jobId}/ack`, token);
  }

  jobHeartbeat(jobId: number, token: LeaseToken): Promise<JobHeartbeatResponse> {
    return this.authed('POST', `/jobs/${jobId}/heartbeat`, token);
  }

  step(jobId: number, report: StepReport): Promise<void> {
    return this.authed('POST', `/jobs/${jobId}/steps`, report);
  }

  log(jobId: number, chunk: LogChunkRequest): Promise<void> {
    return this.authed('PUT', `/jobs/${jobId}/logs`, chunk);
  }

  complete(jobId: number, request: CompleteRequest): Promise<void> {
    return this.authed('POST', `/jobs/${jobId}/complete`, request);
  }

  private authed<T>(method: string, path: string, body: unknown, extraWaitMs = 0, signal?: AbortSignal): Promise<T> {
    if (!this.identity) throw new GyreError('the builder has not registered yet');
    return this.send<T>(
      method,
      path,
      body,
      `Builder ${this.identity.builderId}.${this.identity.credential}`,
      extraWaitMs,
      signal,
    );
  }

  private async send<T>(
    method: string,
    path: string,
    body: unknown,
    authorization: string,
    extraWaitMs = 0,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = `${this.servicesUrl}${BUILDER_API_PREFIX}${path}`;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS + extraWaitMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new UnavailableError(
        `the services box at ${this.servicesUrl} did not answer ${method} ${path}: ${causeOf(error)}`,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    // A 2xx that is not JSON (a proxy's page) counts as no answer, so the call is retried.
    if (response.ok)
      return (
        text === ''
          ? undefined
          : parseJsonFrom(text, `the services box at ${this.servicesUrl}, asked ${method} ${path},`)
      ) as T;
    const message = `${method} ${path} was answered ${response.status}: ${errorMessageOf(text)}`;
    if (response.status === 409) throw new StaleLeaseError(message);
    if (response.status === 401) throw new CredentialRefusedError(message);
    if (response.status === 403 && errorCodeOf(text) === BUILDER_REVOKED_CODE)
      throw new BuilderRevokedError(errorMessageOf(text));
    if (response.status >= 400 && response.status < 500) throw new RequestRefusedError(message);
    throw new UnavailableError(`the services box at ${this.servicesUrl}: ${message}`);
  }
}

function errorMessageOf(text: string): string {
  return errorOf(text)?.message ?? (text || '(no body)');
}

function errorCodeOf(text: string): string | undefined {
  return errorOf(text)?.code;
}

/** The services box's error shape, `{ error: { code, message } }`; undefined for anything else (a proxy's page, say). */
function errorOf(text: string): { code?: string; message?: string } | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    return undefined;
  }
}

function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
