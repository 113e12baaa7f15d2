/**
 * Shows long multi-step operations: listr2's live task list on an interactive terminal, plain
 * prefixed lines otherwise (CI logs, pipes), and nothing but the final JSON in --json mode.
 */
import { Listr } from 'listr2';
import type { Task } from '../orchestrator/tasks.js';
import type { Output } from './output.js';

/**
 * Runs tasks in order and resolves to their results.
 * @param describe the title to show once a task has finished
 */
export async function runTasks<T>(
  tasks: readonly Task<T>[],
  output: Output,
  describe: (result: T) => string,
): Promise<T[]> {
  if (!output.jsonMode && process.stdout.isTTY === true) return runWithListr(tasks, describe);
  const results: T[] = [];
  for (const [index, task] of tasks.entries()) {
    const prefix = `[${index + 1}/${tasks.length}]`;
    output.info(`${prefix} ${task.title}`);
    const result = await task.run((line) => output.info(`${prefix}   ${line}`));
    output.info(`${prefix} ${describe(result)}`);
    results.push(result);
  }
  return results;
}

async function runWithListr<T>(tasks: readonly Task<T>[], describe: (result: T) => string): Promise<T[]> {
  const results: T[] = [];
  const listed = tasks.map((task) => ({
    title: task.title,
    rendererOptions: { outputBar: 5 },
    task: async (_ctx: unknown, shown: { output: string; title: string }) => {
      const result = await task.run((line) => {
        shown.output = line;
      });
      shown.title = describe(result);
      results.push(result);
    },
  }));
  await new Listr(listed, { concurrent: false, exitOnError: true }).run();
  return results;
}
