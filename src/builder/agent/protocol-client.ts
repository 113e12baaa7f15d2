/**
 * The agent's side of the builder protocol: one typed method per route, every reply checked
 * against its schema (src/protocol/messages.ts), and one error class per meaning of an answer
 * (see src/protocol/contract.ts, "Fencing: what each status code means").
 */
import type { z } from 'zod';
import {
  BUILDER_API_PREFIX,
  BUILDER_REVOKED_CODE,
  BuilderRevokedError,
  builderStatusResponseSchema,
  errorBodySchema,
  jobHeartbeatResponseSchema,
  leaseResponseSchema,
  registerResponseSchema,
  StaleLeaseError,
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
  type SshReport,
  type StepReport,
  type TransferQuery,
  type FindCacheRequest,
  foundCacheSchema,
  TRANSFER_CONTENT_TYPE,
  uploadTargetResponseSchema,
  type UploadTarget,
  type UploadTargetRequest,
} from '../../protocol/index.js';
import type { Readable } from 'node:stream';
import { ExitCode, GyreError, messageWithCauseOf, UnavailableError } from '../../shared/errors.js';
import { parseJsonFrom } from '../../shared/parse-json.js';
import { sendStreamed, type StreamedAnswer } from './streamed-request.js';

export { BuilderRevokedError, StaleLeaseError } from '../../protocol/index.js';

/** 401: the join secret or the builder's credential was refused. */
export class CredentialRefusedError extends GyreError {}

/** Any other 4xx: the request itself is wrong, so sending it again cannot help. */
export class RequestRefusedError extends GyreError {}

/** 404: what was asked for is not there (a cache for none of the keys, say). */
export class NotThereError extends RequestRefusedError {}

/**
 * A 2xx whose body is not what the protocol says: a services box of another version. Running a
 * job from a lease this agent cannot read would be worse than stopping, so it is not retried.
 */
export class MalformedReplyError extends GyreError {}

/** Refusals after which the builder must stop: its credential is unknown, or it was revoked. */
export type BuilderRefusal = CredentialRefusedError | BuilderRevokedError;

export function isBuilderRefusal(error: unknown): error is BuilderRefusal {
  return error instanceof CredentialRefusedError || error instanceof BuilderRevokedError;
}

/** The builder's identity, kept across restarts. */
export interface BuilderIdentity {
  readonly builderId: number;
  readonly credential: string;
}

/** How long a request without an answer is given, beyond a lease's own long-poll wait. */
const REQUEST_TIMEOUT_MS = 20_000;

/** Replies without a body: a 204, or a 2xx whose body the agent ignores. */
type NoReply = undefined;

export class ProtocolClient {
  private identity: BuilderIdentity | undefined;

  /** @param servicesUrl where the services box answers, e.g. `http://10.0.0.5` */
  constructor(private readonly servicesUrl: string) {}

  async register(joinSecret: string, request: RegisterRequest): Promise<RegisterResponse> {
    const answer = await this.send('POST', '/register', request, registerResponseSchema, {
      authorization: `Join ${joinSecret}`,
    });
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
    return this.authed('POST', '/lease', request, leaseResponseSchema, {
      extraWaitMs: request.waitSeconds * 1000,
      signal,
    });
  }

  heartbeat(): Promise<{ builder: BuilderStatus }> {
    return this.authed('POST', '/heartbeat', {}, builderStatusResponseSchema);
  }

  drain(request: DrainRequest): Promise<{ builder: BuilderStatus }> {
    return this.authed('POST', '/drain', request, builderStatusResponseSchema);
  }

  ack(jobId: number, token: LeaseToken): Promise<NoReply> {
    return this.authed('POST', `/jobs/${jobId}/ack`, token);
  }

  jobHeartbeat(jobId: number, token: LeaseToken): Promise<JobHeartbeatResponse> {
    return this.authed('POST', `/jobs/${jobId}/heartbeat`, token, jobHeartbeatResponseSchema);
  }

  /** The project's first cache for the keys; NotThereError when there is none. */
  findCache(jobId: number, request: FindCacheRequest): Promise<z.infer<typeof foundCacheSchema>> {
    return this.authed('POST', `/jobs/${jobId}/caches/find`, request, foundCacheSchema);
  }

  /** Where to upload a blob of this digest and size: a presigned URL, or the PUT route itself. */
  uploadTarget(jobId: number, request: UploadTargetRequest): Promise<UploadTarget> {
    return this.authed('POST', `/jobs/${jobId}/uploads`, request, uploadTargetResponseSchema);
  }

  step(jobId: number, report: StepReport): Promise<NoReply> {
    return this.authed('POST', `/jobs/${jobId}/steps`, report);
  }

  sshReport(jobId: number, report: SshReport): Promise<NoReply> {
    return this.authed('POST', `/jobs/${jobId}/ssh`, report);
  }

  log(jobId: number, chunk: LogChunkRequest): Promise<NoReply> {
    return this.authed('PUT', `/jobs/${jobId}/logs`, chunk);
  }

  complete(jobId: number, request: CompleteRequest): Promise<NoReply> {
    return this.authed('POST', `/jobs/${jobId}/complete`, request);
  }

  private authed<T = NoReply>(
    method: string,
    path: string,
    body: unknown,
    reply?: z.ZodType<T>,
    options: { extraWaitMs?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    return this.send(method, path, body, reply, { ...options, authorization: this.builderAuthorization() });
  }

  private async send<T>(
    method: string,
    path: string,
    body: unknown,
    reply: z.ZodType<T> | undefined,
    options: { authorization: string; extraWaitMs?: number; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const url = `${this.servicesUrl}${BUILDER_API_PREFIX}${path}`;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS + (options.extraWaitMs ?? 0));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: options.authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
        // Followed, a redirect would arrive without the credential (fetch drops it when the origin
        // changes) and read as a refused one; it says the address is wrong, so that is said.
        redirect: 'manual',
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const refusal = certificateRefusal(error, this.servicesUrl);
      // At registration a certificate the builder does not trust ends the start: it stays
      // untrusted until a setting or the certificate changes. Later (a certificate renewed
      // mid-run) it is one more unavailability, retried, so running jobs are kept.
      if (refusal !== undefined && options.authorization.startsWith('Join '))
        throw new GyreError(refusal, ExitCode.invalidInput, { cause: error });
      if (refusal !== undefined) throw new UnavailableError(refusal, { cause: error });
      throw new UnavailableError(
        `the services box at ${this.servicesUrl} did not answer ${method} ${path}: ${messageWithCauseOf(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 300 && response.status < 400) {
      const moved = movedMessage(this.servicesUrl, response.headers.get('location'));
      // At registration the address is wrong until a setting changes; later, the services box
      // turned HTTPS on under a running builder, which keeps its jobs while it retries.
      if (options.authorization.startsWith('Join ')) throw new GyreError(moved, ExitCode.invalidInput);
      throw new UnavailableError(moved);
    }
    // A 2xx that is not JSON (a proxy's page) counts as no answer, so the call is retried.
    if (response.ok) return this.readReply(method, path, text, reply);
    throw this.refusal(method, path, response.status, text);
  }

  /**
   * A download of the data steps: the answer's body streams down, never held whole. A redirect
   * (to a blob store's presigned URL) is followed without the credential, which fetch drops when
   * the origin changes. Not retried here: the step that asked decides.
   */
  async download(path: string, query: TransferQuery): Promise<Response> {
    const url = this.transferUrl(path, query);
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: this.builderAuthorization() } });
    } catch (error) {
      throw new UnavailableError(
        `the services box at ${this.servicesUrl} did not answer GET ${path}: ${messageWithCauseOf(error)}`,
        { cause: error },
      );
    }
    if (response.ok) return response;
    throw this.refusal('GET', path, response.status, await response.text().catch(() => ''));
  }

  /**
   * An upload of the data steps: `body` (a zstd tar) streams up with backpressure, never held
   * whole (see streamed-request.ts for why not fetch), or no body with `headers` naming a direct
   * upload. Answers the reply, checked against `reply`. Not retried here: a stream cannot be sent twice, so the step
   * that made it decides.
   */
  async upload<T = NoReply>(
    path: string,
    query: TransferQuery,
    body: Readable | undefined,
    reply?: z.ZodType<T>,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<T> {
    let answer: StreamedAnswer;
    try {
      answer = await sendStreamed(this.transferUrl(path, query), {
        method: 'PUT',
        headers: {
          ...headers,
          authorization: this.builderAuthorization(),
          ...(body ? { 'content-type': TRANSFER_CONTENT_TYPE } : { 'content-length': '0' }),
        },
        body,
      });
    } catch (error) {
      throw new UnavailableError(
        `the services box at ${this.servicesUrl} did not take PUT ${path}: ${messageWithCauseOf(error)}`,
        { cause: error },
      );
    }
    if (answer.status >= 200 && answer.status < 300) return this.readReply('PUT', path, answer.text, reply);
    throw this.refusal('PUT', path, answer.status, answer.text);
  }

  /** A transfer route's JSON answer (the workspace layers' list), checked against `reply`. */
  async downloadReply<T>(path: string, query: TransferQuery, reply: z.ZodType<T>): Promise<T> {
    const response = await this.download(path, query);
    return this.readReply('GET', path, await response.text(), reply);
  }

  private transferUrl(path: string, query: TransferQuery): string {
    const search = new URLSearchParams({ attempt: String(query.attempt), leaseId: query.leaseId });
    return `${this.servicesUrl}${BUILDER_API_PREFIX}${path}?${search.toString()}`;
  }

  private builderAuthorization(): string {
    if (!this.identity) throw new GyreError('the builder has not registered yet');
    return `Builder ${this.identity.builderId}.${this.identity.credential}`;
  }

  /** The error class that says what an answer that is not 2xx means (see contract.ts, "Fencing"). */
  private refusal(method: string, path: string, status: number, text: string): Error {
    const message = `${method} ${path} was answered ${status}: ${errorOf(text)?.message ?? (text || '(no body)')}`;
    if (status === 409) return new StaleLeaseError(message);
    if (status === 401) return new CredentialRefusedError(message);
    if (status === 403 && errorOf(text)?.code === BUILDER_REVOKED_CODE)
      return new BuilderRevokedError(errorOf(text)!.message);
    if (status === 404) return new NotThereError(message);
    if (status >= 400 && status < 500) return new RequestRefusedError(message);
    return new UnavailableError(`the services box at ${this.servicesUrl}: ${message}`);
  }

  private readReply<T>(method: string, path: string, text: string, reply: z.ZodType<T> | undefined): T {
    const source = `the services box at ${this.servicesUrl}, asked ${method} ${path},`;
    if (reply === undefined) return undefined as T;
    const parsed = reply.safeParse(text === '' ? undefined : parseJsonFrom(text, source));
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the body)'}: ${issue.message}`);
    throw new MalformedReplyError(
      `${source} answered with a reply this agent cannot read: ${problems.join('; ')}; check that the builder runs the same Gyre version as the services box`,
    );
  }
}

/** What a redirect of the builder protocol means: the services box is elsewhere, most often on HTTPS now. */
function movedMessage(servicesUrl: string, location: string | null): string {
  const target = URL.parse(location ?? '', servicesUrl) ?? undefined;
  const toHttps = target?.protocol === 'https:' && new URL(servicesUrl).protocol === 'http:';
  return toHttps
    ? `the services box at ${servicesUrl} has HTTPS on and sends builders to ${target.origin}; set GYRE_SERVICES_URL=${target.origin} (gyre builder join --services-url ${target.origin}, with --services-ca FILE for a certificate the system does not trust)`
    : `the services box at ${servicesUrl} answered with a redirect${target ? ` to ${target.href}` : ''}; set GYRE_SERVICES_URL to the services box's own address`;
}

/** OpenSSL's verification failures, as Node names them, each with what fixes it. */
const UNTRUSTED =
  'set GYRE_SERVICES_CA_FILE to the certificate authority that signed it, or to the certificate itself when it is self-signed (gyre builder join --services-ca FILE)';
const CERTIFICATE_FIXES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_UNTRUSTED: UNTRUSTED,
  INVALID_CA: UNTRUSTED,
  CERT_SIGNATURE_FAILURE: UNTRUSTED,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: UNTRUSTED,
  CERT_REJECTED: UNTRUSTED,
  INVALID_PURPOSE: 'the certificate is not one for a TLS server: give the services box a server certificate',
  CERT_REVOKED: 'the certificate was revoked: give the services box a new one',
  CERT_HAS_EXPIRED: "the certificate has expired: renew the services box's certificate",
  CERT_NOT_YET_VALID: "the certificate is not valid yet: check this host's and the services box's clocks",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the certificate is not for the host in GYRE_SERVICES_URL: use one of the certificate's names there, or add the name to the certificate",
};

/**
 * What to tell an administrator when the error, anywhere in its causes (fetch wraps it in
 * "fetch failed"), is a certificate refusal; undefined for any other failure.
 */
export function certificateRefusal(error: unknown, servicesUrl: string): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    const fix = code === undefined ? undefined : CERTIFICATE_FIXES[code];
    if (fix !== undefined)
      return `the services box at ${servicesUrl} presented a certificate this builder does not accept (${code}); ${fix}`;
  }
  return undefined;
}

/** The services box's error shape, `{ error: { code, message } }`; undefined for anything else (a proxy's page, say). */
function errorOf(text: string): { code: string; message: string } | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined; // not JSON: not the services box's answer
  }
}
