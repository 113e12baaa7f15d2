/**
 * `add_ssh_keys`, as CircleCI documents it: `- add_ssh_keys` adds every SSH key of the project,
 * `- add_ssh_keys: { fingerprints: [...] }` only those named, by MD5 or SHA256 fingerprint. It
 * runs only while every earlier step succeeded. Whether the project has the keys is checked when
 * the job is leased, since keys may be added after the push.
 */
import type { ErrorCollector } from './errors.js';
import type { Step } from './model.js';
import { readNonEmptyString } from './read-node.js';
import { optionalOption, readStepOptions, RUNS_ON_SUCCESS, type StepShape } from './step-options.js';
import { describeNode, type YEntry, type YNode } from './yaml-node.js';
import { FINGERPRINT_FORMS, normalizeFingerprint } from '../../../shared/ssh-keys.js';

export const ADD_SSH_KEYS_KEYS = ['fingerprints'] as const;
const NAME = 'Add SSH keys';

/** The step, or `undefined` after reporting. */
export function readAddSshKeys(entry: YEntry, path: string, errors: ErrorCollector): Step | undefined {
  if (entry.value.kind === 'scalar' && entry.value.value === null)
    return { type: 'add_ssh_keys', name: NAME, when: 'on_success', fingerprints: [] };
  const shape: StepShape = {
    step: entry.key,
    keys: ADD_SSH_KEYS_KEYS,
    example: 'add_ssh_keys: { fingerprints: ["SHA256:…"] }',
    noWhen: RUNS_ON_SUCCESS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const fingerprints = optionalOption(map, 'fingerprints', path, readFingerprints, errors) ?? [];
  if (errors.count !== before) return undefined;
  return { type: 'add_ssh_keys', name: NAME, when: 'on_success', fingerprints };
}

function readFingerprints(node: YNode, path: string, errors: ErrorCollector): string[] | undefined {
  if (node.kind !== 'seq') {
    errors.add(node.pos, path, `expected a list of key fingerprints, got ${describeNode(node)}`);
    return undefined;
  }
  if (node.items.length === 0) {
    errors.add(node.pos, path, 'the list of fingerprints is empty; leave `fingerprints` out to add every project key');
    return undefined;
  }
  const fingerprints = node.items.map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const written = readNonEmptyString(item, itemPath, errors);
    if (written === undefined) return undefined;
    const fingerprint = normalizeFingerprint(written);
    if (fingerprint === undefined)
      errors.add(item.pos, itemPath, `"${written}" is not a key fingerprint; expected ${FINGERPRINT_FORMS}`);
    return fingerprint;
  });
  return fingerprints.every((f) => f !== undefined) ? fingerprints : undefined;
}
