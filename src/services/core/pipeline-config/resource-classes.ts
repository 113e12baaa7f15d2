/** The resource class table: plain data an administrator can replace later. */
import type { ErrorCollector } from './errors.js';
import type { ResourceClass, ResourceClassTable } from './model.js';
import { readString } from './read-node.js';
import type { YNode } from './yaml-node.js';

/** CircleCI's docker classes that fit a builder's default 2 CPU / 4 GiB slot, and a few above it. */
export const DEFAULT_RESOURCE_CLASSES: ResourceClassTable = {
  defaultClass: 'medium',
  classes: {
    small: { cpus: 1, memoryMiB: 2048 },
    medium: { cpus: 2, memoryMiB: 4096 },
    'medium+': { cpus: 3, memoryMiB: 6144 },
    large: { cpus: 4, memoryMiB: 8192 },
    xlarge: { cpus: 8, memoryMiB: 16384 },
  },
};

/** Maps a job's `resource_class` (or the table's default when it names none) to its limits. */
export function resolveResourceClass(
  node: YNode | undefined,
  path: string,
  table: ResourceClassTable,
  errors: ErrorCollector,
): ResourceClass | undefined {
  const name = node === undefined ? table.defaultClass : readString(node, path, errors);
  if (name === undefined) return undefined;
  const spec = Object.hasOwn(table.classes, name) ? table.classes[name] : undefined;
  if (spec) return { name, cpus: spec.cpus, memoryMiB: spec.memoryMiB };
  const known = Object.keys(table.classes).join(', ');
  errors.add(
    node?.pos ?? { line: 1, column: 1 },
    path,
    `unknown resource_class "${name}"; this Gyre installation offers: ${known}`,
  );
  return undefined;
}
