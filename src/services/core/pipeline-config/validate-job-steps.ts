/** A job's `steps:` key: present, a list, and valid step by step. */
import { childPath, type Position } from './errors.js';
import type { ConfigContext, JobDefinition } from './context.js';
import type { Step } from './model.js';
import { readSteps } from './validate-steps.js';
import type { YNode } from './yaml-node.js';

/** Reads a job's steps, reporting a missing or empty list. */
export function validateSteps(node: YNode | undefined, at: Position, def: JobDefinition, ctx: ConfigContext): Step[] {
  const path = childPath(def.path, 'steps');
  if (node === undefined) {
    ctx.errors.add(
      at,
      def.path,
      `job "${def.name}" needs \`steps:\`, a list of steps such as \`- checkout\` and \`- run: make test\``,
    );
    return [];
  }
  const steps = readSteps(node, path, ctx);
  if (node.kind === 'seq' && node.items.length === 0)
    ctx.errors.add(node.pos, path, `job "${def.name}" has no steps; add at least one`);
  return steps;
}
