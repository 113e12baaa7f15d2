/**
 * The one client of Gyre's public HTTP API, used by the `gyre` command, the GyreEnvironment
 * testcontainers module and the tests. Requests and answers are the contract's schemas (src/api):
 * an answer that does not match is refused, naming the field. Every error names the URL and the
 * request, and its class says what happened: unreachable, refused token, not found, refused input.
 */
import type { z } from 'zod';
import {
  builderResponse,
  createdProjectResponse,
  errorResponse,
  healthResponse,
  itemsOf,
  jobDetailResponse,
  orbResponse,
  pageOf,
  pipelineResponse,
  projectResponse,
  projectWithWebhookResponse,
  queueResponse,
  revokedBuilderResponse,
  workflowResponse,
  type BuilderResponse,
  type CreatedProjectResponse,
  type ErrorResponse,
  type HealthResponse,
  type JobDetailResponse,
  type OrbResponse,
  type PipelineResponse,
  type QueueResponse,
  type WorkflowResponse,
  backupsResponse,
  type BackupsResponse,
  joinSecretAgeResponse,
  type JoinSecretAgeResponse,
  gitHubCheckResponse,
  type GitHubCheckResponse,
  deliveryResponse,
  type DeliveryResponse,
} from '../api/responses.js';
import type { CreateProjectRequest, ImportOrbRequest, OrbParams, PipelineParameters } from '../api/requests.js';
import { ExitCode, GyreError, messageWithCauseOf, NotFoundError, UnavailableError } from '../shared/errors.js';
import { parseJsonFrom } from '../shared/parse-json.js';

/** 401: the API token was refused. */
export class TokenRefusedError extends GyreError {}

/**
 * Any other 4xx: the request was refused; `status`, `code` and `details` are the services box's.
 * A 400 is the caller's input, so a command exits with the invalid-input code.
 */
export class RequestRefusedError extends GyreError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: ErrorResponse | undefined,
  ) {
    super(message, status === 400 ? ExitCode.invalidInput : ExitCode.failure);
  }
}

/** A 2xx whose body is not what the API contract says: a services box of another version. */
export class MalformedAnswerError extends GyreError {}

export interface GyreClientOptions {
  /** How long one request may take. @default 30000 */
  readonly timeoutMs?: number;
}

export class GyreClient {
  private readonly timeoutMs: number;

  constructor(
    readonly url: string,
    private readonly token: string,
    options: GyreClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async builders(): Promise<BuilderResponse[]> {
    return (await this.call('GET', '/api/v1/builders', itemsOf(builderResponse))).items;
  }

  drainBuilder(id: number, deadlineSeconds: number): Promise<BuilderResponse> {
    return this.call('POST', `/api/v1/builders/${id}/drain`, builderResponse, { deadlineSeconds });
  }

  revokeBuilder(id: number): Promise<BuilderResponse & { requeued: number }> {
    return this.call('POST', `/api/v1/builders/${id}/revoke`, revokedBuilderResponse, {});
  }

  /** When the current join secret was set (administrators' tokens). */
  joinSecretAge(): Promise<JoinSecretAgeResponse> {
    return this.call('GET', '/api/v1/join-secret', joinSecretAgeResponse);
  }

  /** Whether GitHub answers and takes the commit status token (administrators' tokens; calls GitHub). */
  gitHubCheck(): Promise<GitHubCheckResponse> {
    return this.call('GET', '/api/v1/github/check', gitHubCheckResponse);
  }

  /** The newest webhook deliveries, newest first (administrators' tokens). */
  async deliveries(limit: number): Promise<DeliveryResponse[]> {
    return (await this.call('GET', `/api/v1/deliveries?limit=${limit}`, pageOf(deliveryResponse))).items;
  }

  /** The backup schedule and the newest scheduled backups (administrators' tokens). */
  backups(): Promise<BackupsResponse> {
    return this.call('GET', '/api/v1/backups', backupsResponse);
  }

  queue(): Promise<QueueResponse> {
    return this.call('GET', '/api/v1/queue', queueResponse);
  }

  /** Whether the services box accepts this join secret; registers nothing. */
  async joinSecretAccepted(joinSecret: string): Promise<boolean> {
    try {
      await this.send('POST', '/builder/v1/join-secret/check', undefined, `Join ${joinSecret}`);
      return true;
    } catch (error) {
      if (error instanceof TokenRefusedError) return false;
      throw error;
    }
  }

  /** `/healthz`, which answers 503 with the same body when the database is down. */
  async health(): Promise<HealthResponse> {
    const response = await this.fetch('GET', '/healthz');
    if (isRedirect(response)) throw this.moved('GET', '/healthz', response);
    return this.read('GET', '/healthz', await response.text(), healthResponse);
  }

  createProject(request: CreateProjectRequest): Promise<CreatedProjectResponse> {
    return this.call('POST', '/api/v1/projects', createdProjectResponse, request);
  }

  project(id: number): Promise<z.infer<typeof projectWithWebhookResponse>> {
    return this.call('GET', `/api/v1/projects/${id}`, projectWithWebhookResponse);
  }

  projects(
    page: { limit?: number; after?: number } = {},
  ): Promise<z.infer<ReturnType<typeof pageOf<typeof projectResponse>>>> {
    return this.call('GET', `/api/v1/projects${query(page)}`, pageOf(projectResponse));
  }

  /** A pipeline on the branch's head (the project's default branch without one), with values for pipeline parameters. */
  triggerPipeline(projectId: number, branch?: string, parameters?: PipelineParameters): Promise<PipelineResponse> {
    return this.call('POST', `/api/v1/projects/${projectId}/pipelines`, pipelineResponse, {
      ...(branch !== undefined && { branch }),
      ...(parameters !== undefined && { parameters }),
    });
  }

  pipeline(id: number): Promise<PipelineResponse> {
    return this.call('GET', `/api/v1/pipelines/${id}`, pipelineResponse);
  }

  async workflows(pipelineId: number): Promise<WorkflowResponse[]> {
    return (await this.call('GET', `/api/v1/pipelines/${pipelineId}/workflows`, itemsOf(workflowResponse))).items;
  }

  job(id: number): Promise<JobDetailResponse> {
    return this.call('GET', `/api/v1/jobs/${id}`, jobDetailResponse);
  }

  /** A job's log as text: the latest attempt, one attempt, or `all` (each after a `--- attempt N ---` line). */
  async jobLog(id: number, attempt: 'latest' | 'all' | number = 'latest'): Promise<string> {
    return (await this.send('GET', `/api/v1/jobs/${id}/log?attempt=${attempt}`)).text();
  }

  async orbs(): Promise<OrbResponse[]> {
    return (await this.call('GET', '/api/v1/orbs', itemsOf(orbResponse))).items;
  }

  /** Imports an orb version from its packed YAML or its source files; the same text again is a no-op. */
  importOrb(ref: OrbParams, orb: ImportOrbRequest): Promise<OrbResponse> {
    return this.call('PUT', orbPath(ref), orbResponse, orb);
  }

  async removeOrb(ref: OrbParams): Promise<void> {
    await this.send('DELETE', orbPath(ref));
  }

  /** A request and its parsed, checked answer. */
  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    answer: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const response = await this.send(method, path, body);
    return this.read(method, path, await response.text(), answer);
  }

  /** A request whose answer is 2xx, or the error that says why not. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    authorization = `Bearer ${this.token}`,
  ): Promise<Response> {
    const response = await this.fetch(method, path, body, authorization);
    if (response.ok) return response;
    if (isRedirect(response)) throw this.moved(method, path, response);
    const text = await response.text();
    const refusal = errorOf(text);
    const message = refusal?.error.message ?? (text.trim().slice(0, 300) || '(no body)');
    if (response.status === 401)
      throw new TokenRefusedError(
        `the Gyre API at ${this.url} refused the credentials of ${method} ${path}: ${message}; run \`gyre up\` again to make a new token, or set GYRE_API_TOKEN`,
      );
    if (response.status === 404) throw new NotFoundError(`${method} ${path} on ${this.url}: ${message}`);
    if (response.status >= 500)
      throw new UnavailableError(
        `the Gyre API at ${this.url} answered ${response.status} to ${method} ${path}: ${message}`,
      );
    throw new RequestRefusedError(
      `the Gyre API at ${this.url} refused ${method} ${path} (${response.status}): ${message}`,
      response.status,
      refusal,
    );
  }

  /** A redirect, not followed: it would drop the token (fetch does when the origin changes). */
  private moved(method: string, path: string, response: Response): RequestRefusedError {
    return new RequestRefusedError(
      `the Gyre API at ${this.url} sends ${method} ${path} to ${response.headers.get('location') ?? 'another address'}: the services box has HTTPS on, or moved; run \`gyre up\` again to save its address, or set GYRE_API_URL`,
      response.status,
      undefined,
    );
  }

  private async fetch(
    method: string,
    path: string,
    body?: unknown,
    authorization = `Bearer ${this.token}`,
  ): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
        // Followed to another origin, a request would lose its token and read as refused.
        redirect: 'manual',
      });
    } catch (error) {
      throw new UnavailableError(
        `the Gyre API at ${this.url} did not answer ${method} ${path} (${messageWithCauseOf(error)}); is the services stack up (\`gyre status\`)?`,
        { cause: error },
      );
    }
  }

  private read<S extends z.ZodType>(method: string, path: string, text: string, answer: S): z.infer<S> {
    const source = `the Gyre API at ${this.url}, asked ${method} ${path},`;
    const parsed = answer.safeParse(parseJsonFrom(text, source));
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the body)'}: ${issue.message}`);
    throw new MalformedAnswerError(`${source} answered with something this client cannot read: ${problems.join('; ')}`);
  }
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400;
}

function orbPath({ namespace, name, version }: OrbParams): string {
  return `/api/v1/orbs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(version)}`;
}

function query(values: Readonly<Record<string, string | number | undefined>>): string {
  const defined = Object.entries(values).filter(([, value]) => value !== undefined) as [string, string | number][];
  return defined.length === 0
    ? ''
    : `?${new URLSearchParams(defined.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

/** The API's error shape, or undefined for anything else (a proxy's page, say). */
function errorOf(text: string): ErrorResponse | undefined {
  try {
    const parsed = errorResponse.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: not the services box's answer
  }
}
