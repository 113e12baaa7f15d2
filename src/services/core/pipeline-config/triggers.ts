/**
 * A workflow's legacy `triggers:`, CircleCI 2.0's scheduled workflows: each trigger is
 * `schedule: { cron, filters: { branches: ... } }`, a five-field crontab line in UTC and the
 * branches it runs on (required, as on CircleCI). A workflow with triggers runs only when its
 * schedule fires, never on a push.
 */
import { childPath, itemPath, type ErrorCollector } from './errors.js';
import { readFilters } from './filters.js';
import type { WorkflowSchedule } from './model.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { cronProblem } from '../../../shared/cron-slots.js';
import { describeNode, getValue, type YNode } from './yaml-node.js';

export const SCHEDULE_KEYS = ['cron', 'filters'];

/** Reads `triggers:`; broken triggers are reported and left out. */
export function readTriggers(node: YNode, path: string, errors: ErrorCollector): WorkflowSchedule[] {
  if (node.kind !== 'seq' || node.items.length === 0) {
    errors.add(
      node.pos,
      path,
      `expected a non-empty list of triggers (\`- schedule: ...\`), got ${describeNode(node)}`,
    );
    return [];
  }
  return node.items.flatMap((item, i) => {
    const at = itemPath(path, i);
    const trigger = expectMap(item, at, errors, 'a trigger: `schedule:` with `cron` and `filters`');
    if (!trigger) return [];
    checkKeys(trigger, at, ['schedule'], errors, 'a trigger');
    const scheduleNode = getValue(trigger, 'schedule');
    if (scheduleNode === undefined) {
      errors.add(trigger.pos, at, 'a trigger needs `schedule:` with `cron` and `filters`');
      return [];
    }
    const schedule = readSchedule(scheduleNode, childPath(at, 'schedule'), errors);
    return schedule ? [schedule] : [];
  });
}

function readSchedule(node: YNode, path: string, errors: ErrorCollector): WorkflowSchedule | undefined {
  const map = expectMap(node, path, errors, 'a map with `cron` and `filters`');
  if (!map) return undefined;
  checkKeys(map, path, SCHEDULE_KEYS, errors, 'a schedule');
  const cronNode = getValue(map, 'cron');
  const cron = cronNode && readNonEmptyString(cronNode, childPath(path, 'cron'), errors);
  if (cronNode === undefined) errors.add(map.pos, path, 'a schedule needs `cron`: five crontab fields in UTC');
  const problem = cron === undefined ? undefined : cronProblem(cron);
  if (problem !== undefined && cronNode) errors.add(cronNode.pos, childPath(path, 'cron'), problem);
  const filtersNode = getValue(map, 'filters');
  const filters = filtersNode && readFilters(filtersNode, childPath(path, 'filters'), errors);
  if (filtersNode !== undefined && filters !== undefined && filters.branches === undefined)
    errors.add(
      filtersNode.pos,
      childPath(path, 'filters'),
      'a schedule needs `filters: { branches: ... }`: the branches it runs on',
    );
  if (filtersNode === undefined)
    errors.add(map.pos, path, 'a schedule needs `filters: { branches: { only: [main] } }`: the branches it runs on');
  if (cron === undefined || problem !== undefined || filters?.branches === undefined) return undefined;
  return { cron: cron.trim(), branches: filters.branches };
}
