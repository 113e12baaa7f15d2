import type { DockerImage, RunnerJob, RunnerSink, RunStep, StepEvent } from '../../src/builder/runner/index.js';

/** The job image of these tests: built locally, as no registry is reachable here. */
export const JOB_IMAGE = 'debian:bookworm-slim';

/** Job ids far from any a test database hands out, different per test process. */
let nextJobId = 900_000 + (process.pid % 10_000) * 10;

export function image(overrides: Partial<DockerImage> = {}): DockerImage {
  return { image: JOB_IMAGE, environment: {}, ...overrides };
}

export function run(command: string, overrides: Partial<RunStep> = {}): RunStep {
  return {
    type: 'run',
    name: command,
    command,
    environment: {},
    background: false,
    noOutputTimeoutMs: 600_000,
    when: 'on_success',
    ...overrides,
  };
}

export function makeJob(steps: RunnerJob['spec']['steps'], overrides: Partial<RunnerJob['spec']> = {}): RunnerJob {
  nextJobId += 1;
  return {
    jobId: nextJobId,
    attempt: 1,
    spec: {
      docker: { primary: image(), services: [] },
      resourceClass: { name: 'small', cpus: 1, memoryMiB: 512 },
      workingDirectory: '~/project',
      environment: {},
      steps,
      ...overrides,
    },
    context: {
      projectId: 1,
      projectName: 'acme/widgets',
      gitUrl: 'https://git.example/acme/widgets.git',
      sha: 'abc123',
      branch: 'main',
      tag: null,
      pipelineNumber: 7,
      workflowName: 'build',
      jobName: 'test',
      buildUrl: 'https://gyre.example/jobs/1',
    },
    projectVariables: { PROJECT_VAR: 'from-project' },
  };
}

/** A sink that keeps what a user would see: each step's text and the step events. */
export class RecordingSink implements RunnerSink {
  readonly chunks: { step: number; text: string }[] = [];
  readonly events: StepEvent[] = [];
  onLog: (step: number, text: string) => void = () => undefined;
  log(step: number, data: Buffer): void {
    this.chunks.push({ step, text: data.toString('utf8') });
    this.onLog(step, data.toString('utf8'));
  }
  step(event: StepEvent): void {
    this.events.push(event);
  }
  text(step: number): string {
    return this.chunks
      .filter((c) => c.step === step)
      .map((c) => c.text)
      .join('');
  }
}
