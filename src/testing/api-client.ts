/**
 * The environment's HTTP API client: Gyre's own API client (src/client) with the admin token,
 * its errors turned into GyreEnvironmentErrors that name the request, plus raw `fetch` for tests
 * that call what the typed client does not cover.
 */
import { GyreClient } from '../client/gyre-client.js';
import { isFinalJobState } from '../protocol/job-states.js';
import { GyreEnvironmentError, messageOf } from './errors.js';
import type { JobView, PipelineResult, PipelineView, WorkflowView } from './types.js';

/** `fetch` options, plus `json`: a value sent as the JSON body (the method then defaults to POST). */
export interface ApiInit extends RequestInit {
  readonly json?: unknown;
}

export class ApiClient {
  private readonly typed: GyreClient;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {
    this.typed = new GyreClient(baseUrl, token);
  }

  /** Runs a typed API call; a failure becomes a GyreEnvironmentError naming `step`. */
  async call<T>(step: string, run: (client: GyreClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.typed);
    } catch (error) {
      throw new GyreEnvironmentError(
        step,
        messageOf(error),
        `is the environment still running? The services box should answer at ${this.baseUrl}`,
        { cause: error },
      );
    }
  }

  /** Calls the API with the admin token; `path` starts with `/api/v1/`. */
  async fetch(path: string, init: ApiInit = {}): Promise<Response> {
    const { json, headers, ...rest } = init;
    const merged = new Headers(headers);
    if (!merged.has('authorization')) merged.set('authorization', `Bearer ${this.token}`);
    if (json !== undefined && !merged.has('content-type')) merged.set('content-type', 'application/json');
    const method = init.method ?? (json === undefined ? 'GET' : 'POST');
    try {
      return await fetch(new URL(path, this.baseUrl), {
        ...rest,
        method,
        headers: merged,
        ...(json !== undefined && { body: JSON.stringify(json) }),
      });
    } catch (error) {
      throw new GyreEnvironmentError(
        `${method} ${path}`,
        messageOf(error),
        `is the environment still running? The services box should answer at ${this.baseUrl}`,
        { cause: error },
      );
    }
  }

  /** Polls the pipeline until every job has finished or the pipeline is in `error` or `skipped`. */
  async waitForPipeline(pipelineId: number, timeoutMs: number, pollIntervalMs: number): Promise<PipelineResult> {
    const started = Date.now();
    let last: { pipeline?: PipelineView; jobs: readonly JobView[] } = { jobs: [] };
    while (Date.now() - started < timeoutMs) {
      const pipeline = await this.call(`reading pipeline ${pipelineId}`, (client) => client.pipeline(pipelineId));
      last = { pipeline, jobs: last.jobs };
      if (pipeline.state === 'error' || pipeline.state === 'skipped') return resultOf(pipeline, []);
      if (pipeline.state === 'created') {
        const items = await this.call(`reading the workflows of pipeline ${pipelineId}`, (client) =>
          client.workflows(pipelineId),
        );
        const jobs = items.flatMap((w) => w.jobs);
        last = { pipeline, jobs };
        if (jobs.length > 0 && jobs.every((j) => isFinalJobState(j.state))) {
          // Workflow states follow their jobs in the same transaction, so one more read shows them final.
          return resultOf(pipeline, items);
        }
        throwIfOnlyApprovalsLeft(pipelineId, jobs);
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
    const jobs = last.jobs.map((j) => `${j.name}: ${j.state}`).join(', ') || 'none yet';
    const waiting = last.jobs.some((j) => j.state === 'queued');
    throw new GyreEnvironmentError(
      `waiting for pipeline ${pipelineId}`,
      `it did not finish within ${timeoutMs} ms (pipeline state: ${last.pipeline?.state ?? 'unknown'}; jobs: ${jobs})`,
      waiting
        ? `jobs are still queued: check that a builder is up (GET /api/v1/builders) and has room for the job's resource class (withBuilders(n, { slots, slotMemory }))`
        : 'give waitForPipeline a longer timeoutMs, or look at the job logs (GET /api/v1/jobs/:id/log)',
    );
  }
}

/** A pipeline that waits for people only would not finish before the timeout: say so at once. */
function throwIfOnlyApprovalsLeft(pipelineId: number, jobs: readonly JobView[]): void {
  const onHold = jobs.filter((j) => j.state === 'on_hold');
  if (onHold.length === 0 || jobs.some((j) => ['queued', 'leased', 'running'].includes(j.state))) return;
  throw new GyreEnvironmentError(
    `waiting for pipeline ${pipelineId}`,
    `it waits for approval of ${onHold.map((j) => `${j.name} (job ${j.id})`).join(', ')}, and nothing else runs`,
    `approve it with POST /api/v1/jobs/${onHold[0]!.id}/approve (or cancel it with .../cancel), then wait again`,
  );
}

function resultOf(pipeline: PipelineView, workflows: readonly WorkflowView[]): PipelineResult {
  const jobs = workflows.flatMap((w) => w.jobs);
  return {
    pipeline,
    workflows,
    jobs,
    job: (name) => {
      const job = jobs.find((j) => j.name === name);
      if (!job)
        throw new GyreEnvironmentError(
          `finding job ${name} of pipeline ${pipeline.id}`,
          `the pipeline has ${jobs.length === 0 ? 'no jobs' : `only ${jobs.map((j) => j.name).join(', ')}`}`,
        );
      return job;
    },
  };
}
