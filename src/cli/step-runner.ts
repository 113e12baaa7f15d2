/**
 * Shows long multi-step operations: listr2's live task list on an interactive terminal, plain
 * prefixed lines otherwise (CI logs, pipes), and nothing but the final JSON in --json mode.
 */
import { Listr } from 'listr2';
import type { Output } from './output.js';

/** One step with a title, whose run reports lines of progress. */
export interface Step<T> {
  readonly title: string;
  run(onLine: (line: string) => void): Promise<T>;
}

/**
 * Runs steps in order and resolves to their results.
 * @param describe the title to show once a step has finished
 */
export async function runSteps<T>(
  steps: readonly Step<T>[],
  output: Output,
  describe: (result: T) => string,
): Promise<T[]> {
  if (!output.jsonMode && process.stdout.isTTY === true) return runWithListr(steps, describe);
  const results: T[] = [];
  for (const [index, step] of steps.entries()) {
    const prefix = `[${index + 1}/${steps.length}]`;
    output.info(`${prefix} ${step.title}`);
    const result = await step.run((line) => output.info(`${prefix}   ${line}`));
    output.info(`${prefix} ${describe(result)}`);
    results.push(result);
  }
  return results;
}

async function runWithListr<T>(steps: readonly Step<T>[], describe: (result: T) => string): Promise<T[]> {
  const results: T[] = [];
  const tasks = steps.map((step) => ({
    title: step.title,
    rendererOptions: { outputBar: 5 },
    task: async (_ctx: unknown, task: { output: string; title: string }) => {
      const result = await step.run((line) => {
        task.output = line;
      });
      task.title = describe(result);
      results.push(result);
    },
  }));
  await new Listr(tasks, { concurrent: false, exitOnError: true }).run();
  return results;
}
