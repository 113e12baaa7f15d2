/**
 * `requires:` of a workflow job, in every form CircleCI's configuration reference lists: a job
 * name (that job must succeed), a map of job name to one status, or a map of job name to a list
 * of statuses (the job must end in one of them). The statuses are `success`, `failed`,
 * `canceled`, `unauthorized`, `not_run` and `terminal`, the last being shorthand for all the
 * others. A name with no value (`- build:`) means `success`, as a plain name does.
 *
 *     requires:
 *       - build                       # build must succeed
 *       - test: failed                # test must fail
 *       - deploy: [success, canceled] # deploy must succeed or be canceled
 *       - e2e: terminal               # e2e must end, however it ends
 *
 * Whether the names exist, and cycles, are checked with the rest of the graph (workflow-graph.ts).
 */
import { childPath, itemPath, type ErrorCollector, type Position } from './errors.js';
import { REQUIRED_STATUSES, type RequiredStatus } from './model.js';
import { readNonEmptyString } from './read-node.js';
import { describeNode, type YEntry, type YNode } from './yaml-node.js';

/** A requirement as written: the job, its statuses, and where it was written for errors. */
export interface WrittenRequirement {
  readonly name: string;
  readonly statuses: readonly RequiredStatus[];
  readonly at: Position;
  readonly path: string;
}

const TERMINAL = 'terminal';
const STATUS_HINT = `one of ${REQUIRED_STATUSES.join(', ')}, or ${TERMINAL} for any of them`;
const ITEM_HINT = 'a job name, or a map of job name to status, e.g. `- build` or `- build: failed`';

/** Reads a `requires:` list, reporting every malformed entry. */
export function readRequires(node: YNode | undefined, path: string, errors: ErrorCollector): WrittenRequirement[] {
  if (node === undefined) return [];
  if (node.kind !== 'seq') {
    errors.add(
      node.pos,
      path,
      'expected a list of job names, e.g. `requires: [build]` or `requires: [{ build: failed }]`',
    );
    return [];
  }
  const written = node.items.flatMap((item, i) => readItem(item, itemPath(path, i), errors));
  return withoutRepeats(written, errors);
}

function readItem(item: YNode, path: string, errors: ErrorCollector): WrittenRequirement[] {
  if (item.kind === 'map') return item.entries.flatMap((entry) => readStatusEntry(entry, path, errors));
  if (item.kind === 'scalar' && typeof item.value === 'string') {
    const name = readNonEmptyString(item, path, errors);
    return name === undefined ? [] : [{ name, statuses: ['success'], at: item.pos, path }];
  }
  errors.add(item.pos, path, `expected ${ITEM_HINT}; got ${describeNode(item)}`);
  return [];
}

/** `name: status`, `name: [statuses]` or `name:` (success). */
function readStatusEntry(entry: YEntry, itemAt: string, errors: ErrorCollector): WrittenRequirement[] {
  const path = childPath(itemAt, entry.key);
  if (entry.key.trim() === '') {
    errors.add(entry.keyPos, itemAt, `a required job's name must not be empty; expected ${ITEM_HINT}`);
    return [];
  }
  const value = entry.value;
  if (value.kind === 'scalar' && value.value === null)
    return [{ name: entry.key, statuses: ['success'], at: entry.keyPos, path: itemAt }];
  if (value.kind === 'seq' && value.items.length === 0) {
    errors.add(value.pos, path, `expected a status or a non-empty list of them: ${STATUS_HINT}`);
    return [];
  }
  const items =
    value.kind === 'seq' ? value.items.map((v, i) => [v, itemPath(path, i)] as const) : [[value, path] as const];
  const statuses = items.map(([v, at]) => readStatus(v, at, errors));
  if (!statuses.every((s) => s !== undefined)) return [];
  const accepted = new Set(statuses.flat());
  // In CircleCI's order, so that equal requirements are written alike in the model and the database.
  const ordered = REQUIRED_STATUSES.filter((s) => accepted.has(s));
  return [{ name: entry.key, statuses: ordered, at: entry.keyPos, path: itemAt }];
}

function readStatus(node: YNode, path: string, errors: ErrorCollector): readonly RequiredStatus[] | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    if (node.value === TERMINAL) return REQUIRED_STATUSES;
    const known = REQUIRED_STATUSES.find((s) => s === node.value);
    if (known) return [known];
    errors.add(node.pos, path, `unknown job status "${node.value}"; expected ${STATUS_HINT}`);
    return undefined;
  }
  errors.add(node.pos, path, `expected a job status (${STATUS_HINT}); got ${describeNode(node)}`);
  return undefined;
}

/**
 * A job named twice is one requirement if both entries ask for the same statuses; otherwise which
 * one wins would be a guess, so it is an error.
 */
function withoutRepeats(written: readonly WrittenRequirement[], errors: ErrorCollector): WrittenRequirement[] {
  const first = new Map<string, WrittenRequirement>();
  for (const req of written) {
    const earlier = first.get(req.name);
    if (!earlier) first.set(req.name, req);
    else if (earlier.statuses.join() !== req.statuses.join())
      errors.add(
        req.at,
        req.path,
        `"${req.name}" is required twice with different statuses (${earlier.statuses.join(', ')} and ${req.statuses.join(', ')}); list it once with every status it may end in, e.g. \`${req.name}: [${REQUIRED_STATUSES.filter((s) => earlier.statuses.includes(s) || req.statuses.includes(s)).join(', ')}]\``,
      );
  }
  return [...first.values()];
}
