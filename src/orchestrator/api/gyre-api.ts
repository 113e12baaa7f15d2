/**
 * The services API as the orchestrator uses it: the fleet, the queue and health, authenticated
 * with the API token `gyre up` created. Every error names the URL and what to check.
 */
import { GyreError, messageOf, NotFoundError, UnavailableError } from '../../shared/errors.js';
import { parseJsonFrom } from '../../shared/parse-json.js';

/** A builder as `/api/v1/builders` lists it. */
export interface FleetBuilder {
  readonly id: number;
  readonly name: string;
  readonly host: string;
  readonly state: string;
  readonly slots: number;
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly version: string;
  readonly dockerVersion: string;
  /** Jobs leased to or running on it. */
  readonly slotsUsed: number;
  readonly drainDeadline: string | null;
  readonly registeredAt: string;
  readonly lastSeenAt: string;
}

export interface QueueView {
  readonly depth: number;
  readonly oldestQueuedAt: string | null;
  readonly items: readonly {
    readonly jobId: number;
    readonly name: string;
    readonly queuedAt: string;
    readonly waitingBecause: string;
  }[];
}

export interface HealthView {
  readonly status: string;
  readonly version?: string;
  readonly database?: { readonly state: string };
}

export class GyreApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async builders(): Promise<FleetBuilder[]> {
    return (await this.call<{ items: FleetBuilder[] }>('GET', '/api/v1/builders')).items;
  }

  /** The builder with this name, or a NotFoundError that lists the names there are. */
  async builderNamed(name: string): Promise<FleetBuilder> {
    const builders = await this.builders();
    const found = builders.find((b) => b.name === name && b.state !== 'revoked');
    if (!found)
      throw new NotFoundError(
        `builder "${name}" (known builders: ${
          builders
            .filter((b) => b.state !== 'revoked')
            .map((b) => b.name)
            .join(', ') || 'none'
        })`,
      );
    return found;
  }

  drain(id: number, deadlineSeconds: number): Promise<FleetBuilder> {
    return this.call('POST', `/api/v1/builders/${id}/drain`, { deadlineSeconds });
  }

  revoke(id: number): Promise<FleetBuilder> {
    return this.call('POST', `/api/v1/builders/${id}/revoke`, {});
  }

  /** Whether the services box accepts this join secret; registers nothing. */
  async joinSecretAccepted(joinSecret: string): Promise<boolean> {
    try {
      await this.call('POST', '/builder/v1/join-secret/check', undefined, `Join ${joinSecret}`);
      return true;
    } catch (error) {
      if (error instanceof CredentialRefused) return false;
      throw error;
    }
  }

  queue(): Promise<QueueView> {
    return this.call('GET', '/api/v1/queue');
  }

  /** `/healthz`, which answers 503 with a body when the database is down. */
  async health(): Promise<HealthView> {
    try {
      const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as HealthView;
    } catch (error) {
      return { status: `unreachable (${messageOf(error)})` };
    }
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    authorization = `Bearer ${this.token}`,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new UnavailableError(
        `the Gyre API at ${this.url} did not answer ${method} ${path} (${messageOf(error)}); is the services stack up (\`gyre status\`)?`,
        { cause: error },
      );
    }
    const text = await response.text();
    if (response.ok)
      return (text ? parseJsonFrom(text, `the Gyre API at ${this.url}, asked ${method} ${path},`) : undefined) as T;
    const message = errorMessageOf(text);
    if (response.status === 401)
      throw new CredentialRefused(
        `the Gyre API at ${this.url} refused the API token: ${message}; run \`gyre up\` again to make a new one, or set GYRE_API_TOKEN`,
      );
    if (response.status === 404) throw new NotFoundError(`${method} ${path} on ${this.url}: ${message}`);
    if (response.status >= 500)
      throw new UnavailableError(
        `the Gyre API at ${this.url} answered ${response.status} to ${method} ${path}: ${message}`,
      );
    throw new GyreError(`the Gyre API at ${this.url} refused ${method} ${path} (${response.status}): ${message}`);
  }
}

function errorMessageOf(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    return text;
  }
}

/** 401: the token (or the join secret being checked) was refused. */
class CredentialRefused extends GyreError {}
