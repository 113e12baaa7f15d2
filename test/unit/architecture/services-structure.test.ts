import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { packageRoot } from '../../../src/shared/package-files.js';

// The services app's folders form layers (README, "Inside the services app"): these checks read
// the code's own imports and SQL, so a change that breaks the structure fails here, in CI.
const SERVICES = join(packageRoot, 'src/services');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The folder a file counts under: `core/<area>`, `stores/<area>`, `features/<area>`, a top folder, or `(root)`. */
function unitOf(file: string): string {
  const parts = relative(SERVICES, file).split('/');
  if (parts.length === 1) return '(root)';
  return ['core', 'stores', 'features'].includes(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const IMPORT = /(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g;

/** Folder → the folders its files import, within src/services. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SERVICES)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), spec!);
      if (!target.startsWith(`${SERVICES}/`)) continue;
      const to = unitOf(target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Strongly connected groups of more than one folder: each is an import cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do group.push((member = stack.pop()!));
      while (member !== node);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('the services app structure', () => {
  it('has no import cycle between its folders', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['stores/a', new Set(['stores/b'])],
      ['stores/b', new Set(['core/c', 'stores/a'])],
      ['core/c', new Set<string>()],
    ]);
    expect(cycles(graph)).toEqual([['stores/a', 'stores/b']]);
  });

  it('writes the jobs tables only in the jobs store', () => {
    // Migrations create the tables; everything else changes a job through stores/jobs.
    const writes = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:jobs|job_attempts|job_steps)\b/i;
    const writers = sourceFiles(join(packageRoot, 'src'))
      .filter((file) => writes.test(readFileSync(file, 'utf8')))
      .map((file) => relative(packageRoot, file))
      .filter(
        (file) =>
          !file.startsWith('src/services/stores/jobs/') && !file.startsWith('src/services/database/migrations/'),
      );
    expect(writers).toEqual([]);
  });
});
