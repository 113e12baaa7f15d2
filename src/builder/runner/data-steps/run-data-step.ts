/**
 * The steps that move data between jobs: caches, workspaces, artifacts and test results.
 * WORK IN PROGRESS on this branch (data-steps): replaced before it reaches main.
 */
import type { StepContext } from '../step-runner.js';
import type { Step } from '../types.js';

export type DataStep = Exclude<Step, { type: 'checkout' | 'run' }>;

export async function runDataStep(
  ctx: StepContext,
  step: DataStep,
  index: number,
): Promise<{ exitCode: number; reason?: string }> {
  const reason = `failed: ${step.type} is not implemented on this builder yet`;
  ctx.sink.log(index, Buffer.from(`${reason}\n`));
  return { exitCode: 1, reason };
}
