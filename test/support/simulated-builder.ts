import {
  BUILDER_API_PREFIX,
  type BuilderFacts,
  type CompleteRequest,
  type JobLease,
  type LeaseResponse,
  type LeaseToken,
  type RegisterResponse,
  type StepReport,
} from '../../src/protocol/index.js';

export const SIMULATED_FACTS: BuilderFacts = {
  name: 'simulated',
  host: 'sim',
  cpus: 8,
  memoryBytes: 16 * 1024 ** 3,
  dockerVersion: '20.10',
  version: 'test',
  slots: 4,
  slotCpus: 2,
  slotMemoryBytes: 4 * 1024 ** 3,
  dockerInBuilds: 'off',
};

/**
 * A builder that speaks the real protocol over HTTP, without running anything: tests drive it
 * step by step to put the services side through every state.
 */
export class SimulatedBuilder {
  private constructor(
    private readonly base: string,
    readonly id: number,
    private readonly credential: string,
  ) {}

  static async join(
    base: string,
    joinSecret: string,
    facts: Partial<BuilderFacts> & { name: string },
  ): Promise<SimulatedBuilder> {
    const response = await fetch(`${base}${BUILDER_API_PREFIX}/register`, {
      method: 'POST',
      headers: { authorization: `Join ${joinSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ facts: { ...SIMULATED_FACTS, ...facts } }),
    });
    if (response.status !== 201) throw new Error(`register failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as RegisterResponse;
    return new SimulatedBuilder(base, body.builderId, body.credential!);
  }

  /** Registers again with its identity, as a restarted agent does; returns the status. */
  async registerAgain(joinSecret: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.base}${BUILDER_API_PREFIX}/register`, {
      method: 'POST',
      headers: { authorization: `Join ${joinSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ facts: SIMULATED_FACTS, identity: { builderId: this.id, credential: this.credential } }),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Sends a protocol request and returns the status and parsed body. */
  async call<T = unknown>(path: string, body: unknown = {}, method = 'POST'): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.base}${BUILDER_API_PREFIX}${path}`, {
      method,
      headers: { authorization: `Builder ${this.id}.${this.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Leases up to `max` jobs; `running` names the jobs it says it runs, as an agent does. */
  async lease(max: number, waitSeconds = 0, running?: readonly number[]): Promise<LeaseResponse> {
    const answer = await this.call<LeaseResponse>('/lease', { max, waitSeconds, ...(running && { running }) });
    if (answer.status !== 200) throw new Error(`lease failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  ack(lease: JobLease) {
    return this.call(`/jobs/${lease.jobId}/ack`, token(lease));
  }

  heartbeat(lease: JobLease) {
    return this.call<{ cancel: boolean }>(`/jobs/${lease.jobId}/heartbeat`, token(lease));
  }

  step(lease: JobLease, report: Omit<StepReport, 'attempt' | 'leaseId'>) {
    return this.call(`/jobs/${lease.jobId}/steps`, { ...token(lease), ...report });
  }

  log(lease: JobLease, step: number, seq: number, text: string) {
    return this.call(
      `/jobs/${lease.jobId}/logs`,
      { ...token(lease), step, seq, data: Buffer.from(text).toString('base64') },
      'PUT',
    );
  }

  complete(lease: JobLease, outcome: CompleteRequest['outcome'], message?: string) {
    return this.call(`/jobs/${lease.jobId}/complete`, {
      ...token(lease),
      outcome,
      logsAcknowledged: true,
      ...(message !== undefined && { message }),
    });
  }

  /** Runs a leased job to the given outcome: ack, one user step, complete. */
  async run(lease: JobLease, outcome: CompleteRequest['outcome'] = 'success'): Promise<void> {
    for (const answer of [
      await this.ack(lease),
      await this.step(lease, { index: 0, name: 'run', user: true, status: 'started' }),
      await this.complete(lease, outcome),
    ]) {
      if (answer.status >= 300)
        throw new Error(`job ${lease.jobId} write failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
}

function token(lease: LeaseToken): LeaseToken {
  return { attempt: lease.attempt, leaseId: lease.leaseId };
}
