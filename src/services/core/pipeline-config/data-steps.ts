/**
 * The built-in steps that move data between jobs and out of them, read with CircleCI's options
 * and defaults: caches (`cache-steps.ts`), the workflow's workspace, artifacts and test results.
 *
 * `when`, as CircleCI has it: only `save_cache` takes it (default on_success); `store_artifacts`
 * and `store_test_results` always run, even after a failed step; the others run only while
 * every earlier step succeeded.
 */
import type { ErrorCollector } from './errors.js';
import { readRestoreCache, readSaveCache, RESTORE_CACHE_KEYS, SAVE_CACHE_KEYS } from './cache-steps.js';
import type { Step } from './model.js';
import { readNonEmptyString } from './read-node.js';
import {
  optionalOption,
  readPathList,
  readStepOptions,
  requiredOption,
  RUNS_ALWAYS,
  RUNS_ON_SUCCESS,
  type StepShape,
} from './step-options.js';
import type { YEntry } from './yaml-node.js';

/** A step of this family. */
export type DataStep = Exclude<Step, { type: 'checkout' | 'run' | 'add_ssh_keys' | 'setup_remote_docker' }>;

type DataStepReader = (entry: YEntry, path: string, errors: ErrorCollector) => DataStep | undefined;

const PERSIST_KEYS = ['root', 'paths', 'name'] as const;
const ATTACH_KEYS = ['at', 'name'] as const;
const ARTIFACT_KEYS = ['path', 'destination', 'name'] as const;
const TEST_RESULT_KEYS = ['path', 'name'] as const;

/** The options each data step takes, for the README's table of supported keys. */
export const DATA_STEP_KEYS: Readonly<Record<string, readonly string[]>> = {
  save_cache: SAVE_CACHE_KEYS,
  restore_cache: RESTORE_CACHE_KEYS,
  persist_to_workspace: PERSIST_KEYS,
  attach_workspace: ATTACH_KEYS,
  store_artifacts: ARTIFACT_KEYS,
  store_test_results: TEST_RESULT_KEYS,
};

/** The steps by the names CircleCI documents. */
export const DATA_STEPS: ReadonlyMap<string, DataStepReader> = new Map<string, DataStepReader>([
  ['save_cache', readSaveCache],
  ['restore_cache', readRestoreCache],
  ['persist_to_workspace', readPersistToWorkspace],
  ['attach_workspace', readAttachWorkspace],
  ['store_artifacts', readStoreArtifacts],
  ['store_test_results', readStoreTestResults],
]);

/**
 * Names older configs use for the same steps. Unlike the names above, a config may define a
 * command of that name (hyphens are usual in command names); the command then wins.
 */
export const LEGACY_DATA_STEPS: ReadonlyMap<string, DataStepReader> = new Map<string, DataStepReader>([
  ['save-cache', readSaveCache],
  ['restore-cache', readRestoreCache],
]);

function readPersistToWorkspace(entry: YEntry, path: string, errors: ErrorCollector): DataStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: PERSIST_KEYS,
    example: 'persist_to_workspace: { root: ., paths: [dist] }',
    noWhen: RUNS_ON_SUCCESS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const root = requiredOption(
    map,
    'root',
    path,
    shape,
    readNonEmptyString,
    'the directory `paths` are relative to, absolute or relative to the working directory, as in `root: .`',
    errors,
  );
  const paths = requiredOption(
    map,
    'paths',
    path,
    shape,
    readPathList,
    'the files or directories under `root` to add to the workspace (globs allowed), as in `paths: [dist]`',
    errors,
  );
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Persisting to Workspace';
  if (root === undefined || paths === undefined || errors.count !== before) return undefined;
  return { type: 'persist_to_workspace', name, when: 'on_success', root, paths };
}

function readAttachWorkspace(entry: YEntry, path: string, errors: ErrorCollector): DataStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: ATTACH_KEYS,
    example: 'attach_workspace: { at: . }',
    noWhen: RUNS_ON_SUCCESS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const hint = 'the directory to unpack the workspace into, as in `at: .`';
  const at = requiredOption(map, 'at', path, shape, readNonEmptyString, hint, errors);
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Attaching Workspace';
  if (at === undefined || errors.count !== before) return undefined;
  return { type: 'attach_workspace', name, when: 'on_success', at };
}

function readStoreArtifacts(entry: YEntry, path: string, errors: ErrorCollector): DataStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: ARTIFACT_KEYS,
    example: 'store_artifacts: { path: coverage, destination: coverage-report }',
    noWhen: RUNS_ALWAYS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const hint = 'the file or directory to keep, as in `path: coverage`';
  const target = requiredOption(map, 'path', path, shape, readNonEmptyString, hint, errors);
  const destination = optionalOption(map, 'destination', path, readNonEmptyString, errors);
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Uploading artifacts';
  if (target === undefined || errors.count !== before) return undefined;
  return {
    type: 'store_artifacts',
    name,
    when: 'always',
    path: target,
    ...(destination === undefined ? {} : { destination }),
  };
}

function readStoreTestResults(entry: YEntry, path: string, errors: ErrorCollector): DataStep | undefined {
  const shape: StepShape = {
    step: entry.key,
    keys: TEST_RESULT_KEYS,
    example: 'store_test_results: { path: test-results }',
    noWhen: RUNS_ALWAYS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const hint = 'the JUnit XML file, or the directory holding them, as in `path: test-results`';
  const target = requiredOption(map, 'path', path, shape, readNonEmptyString, hint, errors);
  const name = optionalOption(map, 'name', path, readNonEmptyString, errors) ?? 'Uploading test results';
  if (target === undefined || errors.count !== before) return undefined;
  return { type: 'store_test_results', name, when: 'always', path: target };
}
