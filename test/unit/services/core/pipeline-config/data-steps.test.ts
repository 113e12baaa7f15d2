import { describe, expect, it } from '@jest/globals';
import type { Step } from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors, jobOf, parseErrors, parseValid } from './helpers.js';

/** A 2.1 config whose `build` job has these steps (indented under `steps:`), plus optional top-level YAML. */
function config(stepsYaml: string, topLevel = ''): string {
  return `version: 2.1\n${topLevel}jobs:\n  build:\n    docker: [{ image: alpine }]\n    steps:\n${stepsYaml}\nworkflows:\n  w:\n    jobs: [build]\n`;
}

function steps(stepsYaml: string, topLevel = ''): readonly Step[] {
  return jobOf(parseValid(config(stepsYaml, topLevel)).workflows[0]?.jobs[0])?.steps ?? [];
}

function errors(stepsYaml: string, topLevel = ''): string {
  return formatErrors(parseErrors(config(stepsYaml, topLevel)));
}

describe('steps that move data', () => {
  it('reads each step with its options as written', () => {
    expect(
      steps(`      - restore_cache:
          name: Restore deps
          key: v1-deps-{{ checksum "yarn.lock" }}
          keys:
            - v1-deps-{{ .Branch }}
            - v1-deps-
      - save_cache:
          name: Save deps
          key: v1-deps-{{ checksum "yarn.lock" }}
          paths: [node_modules, ~/.cache/yarn]
          when: always
      - persist_to_workspace: { name: Keep build, root: /tmp/ws, paths: [dist, "*.tgz"] }
      - attach_workspace: { name: Get build, at: ~/ws }
      - store_artifacts: { name: Keep report, path: coverage/, destination: report }
      - store_test_results: { name: Keep tests, path: reports/junit.xml }`),
    ).toEqual([
      {
        type: 'restore_cache',
        name: 'Restore deps',
        when: 'on_success',
        // `key` is tried first, then `keys`, as CircleCI does.
        keys: ['v1-deps-{{ checksum "yarn.lock" }}', 'v1-deps-{{ .Branch }}', 'v1-deps-'],
      },
      {
        type: 'save_cache',
        name: 'Save deps',
        when: 'always',
        key: 'v1-deps-{{ checksum "yarn.lock" }}',
        paths: ['node_modules', '~/.cache/yarn'],
      },
      {
        type: 'persist_to_workspace',
        name: 'Keep build',
        when: 'on_success',
        root: '/tmp/ws',
        paths: ['dist', '*.tgz'],
      },
      { type: 'attach_workspace', name: 'Get build', when: 'on_success', at: '~/ws' },
      { type: 'store_artifacts', name: 'Keep report', when: 'always', path: 'coverage/', destination: 'report' },
      { type: 'store_test_results', name: 'Keep tests', when: 'always', path: 'reports/junit.xml' },
    ]);
  });

  it('gives what is left out the defaults CircleCI uses', () => {
    expect(
      steps(`      - restore_cache: { key: k }
      - save_cache: { key: k, paths: [d] }
      - persist_to_workspace: { root: ., paths: [.] }
      - attach_workspace: { at: . }
      - store_artifacts: { path: out }
      - store_test_results: { path: out }`),
    ).toEqual([
      { type: 'restore_cache', name: 'Restoring Cache', when: 'on_success', keys: ['k'] },
      { type: 'save_cache', name: 'Saving Cache', when: 'on_success', key: 'k', paths: ['d'] },
      { type: 'persist_to_workspace', name: 'Persisting to Workspace', when: 'on_success', root: '.', paths: ['.'] },
      { type: 'attach_workspace', name: 'Attaching Workspace', when: 'on_success', at: '.' },
      { type: 'store_artifacts', name: 'Uploading artifacts', when: 'always', path: 'out' },
      { type: 'store_test_results', name: 'Uploading test results', when: 'always', path: 'out' },
    ]);
  });

  it('takes one path written as a string, as CircleCI and its demo projects do', () => {
    expect(
      steps('      - save_cache: { key: k, paths: "deps" }\n      - persist_to_workspace: { root: ., paths: dist }'),
    ).toEqual([
      expect.objectContaining({ type: 'save_cache', paths: ['deps'] }),
      expect.objectContaining({ type: 'persist_to_workspace', paths: ['dist'] }),
    ]);
  });

  it('reads the older save-cache and restore-cache as the same steps', () => {
    expect(steps('      - restore-cache: { keys: [a, b] }\n      - save-cache: { key: a, paths: [d] }')).toEqual([
      { type: 'restore_cache', name: 'Restoring Cache', when: 'on_success', keys: ['a', 'b'] },
      { type: 'save_cache', name: 'Saving Cache', when: 'on_success', key: 'a', paths: ['d'] },
    ]);
  });

  it('lets a command named save-cache or restore-cache win over the older step names', () => {
    const commands = 'commands:\n  restore-cache:\n    steps: [{ restore_cache: { keys: [mine] } }, { run: ls }]\n';
    expect(steps('      - restore-cache', commands).map((s) => s.type)).toEqual(['restore_cache', 'run']);
  });

  it('refuses a command named like one of the steps', () => {
    expect(errors('      - checkout', 'commands:\n  store_artifacts:\n    steps: [checkout]\n')).toBe(
      '3:3 commands.store_artifacts: a command cannot be named "store_artifacts": that is a built-in step; rename the command',
    );
  });

  it('substitutes job, command and pipeline parameters in every option', () => {
    const topLevel = `parameters:
  cache-version: { type: string, default: v3 }
commands:
  cached:
    parameters:
      dir: { type: string }
      results: { type: string, default: reports }
    steps:
      - restore_cache: { keys: ["<< pipeline.parameters.cache-version >>-<< parameters.dir >>-{{ .Branch }}"] }
      - save_cache:
          name: Save << parameters.dir >>
          key: << pipeline.parameters.cache-version >>-<< parameters.dir >>
          paths: [<< parameters.dir >>]
      - store_test_results: { path: << parameters.results >> }
`;
    const text = `version: 2.1
${topLevel}jobs:
  build:
    parameters:
      out: { type: string, default: dist }
    docker: [{ image: alpine }]
    steps:
      - cached: { dir: node_modules }
      - persist_to_workspace: { root: ., paths: [<< parameters.out >>] }
      - store_artifacts: { path: << parameters.out >>, destination: << parameters.out >>-files }
      - attach_workspace: { at: << parameters.out >> }
workflows:
  w:
    jobs: [{ build: { out: build } }]
`;
    expect(jobOf(parseValid(text).workflows[0]?.jobs[0])?.steps).toEqual([
      { type: 'restore_cache', name: 'Restoring Cache', when: 'on_success', keys: ['v3-node_modules-{{ .Branch }}'] },
      {
        type: 'save_cache',
        name: 'Save node_modules',
        when: 'on_success',
        key: 'v3-node_modules',
        paths: ['node_modules'],
      },
      { type: 'store_test_results', name: 'Uploading test results', when: 'always', path: 'reports' },
      {
        type: 'persist_to_workspace',
        name: 'Persisting to Workspace',
        when: 'on_success',
        root: '.',
        paths: ['build'],
      },
      {
        type: 'store_artifacts',
        name: 'Uploading artifacts',
        when: 'always',
        path: 'build',
        destination: 'build-files',
      },
      { type: 'attach_workspace', name: 'Attaching Workspace', when: 'on_success', at: 'build' },
    ]);
  });

  it('keeps << pipeline.git.branch >> in a key for the pipeline creator, next to the templates', () => {
    expect(steps('      - restore_cache: { key: "v1-<< pipeline.git.branch >>-{{ arch }}" }')).toEqual([
      expect.objectContaining({ keys: ['v1-<< pipeline.git.branch >>-{{ arch }}'] }),
    ]);
  });

  it('reports every problem of every step at once, at its line and column, saying how to fix it', () => {
    expect(
      errors(`      - save_cache:
          key: v1-{{ .branch }}-{{ chksum "a" }}
          paths: []
          when: sometimes
      - restore_cache: { name: Restore }
      - restore_cache: { keys: v1-deps }
      - persist_to_workspace: { root: "", paths: [dist, ""] }
      - attach_workspace: { at: [.] }
      - store_artifacts: { path: out, destination: "", prefix: x }
      - store_test_results: { paths: [a, b] }
      - save_cache
      - attach_workspace:
      - store_test_results: reports`),
    ).toBe(
      [
        '7:16 jobs.build.steps[0].save_cache.key: bad cache key template: unknown value .branch in {{ .branch }}; did you mean .Branch? the values are .Branch, .Revision, .BuildNum, .Environment.NAME',
        '7:16 jobs.build.steps[0].save_cache.key: bad cache key template: unknown function "chksum" in {{ chksum "a" }}; the functions are checksum "file", epoch, arch',
        '8:18 jobs.build.steps[0].save_cache.paths: the list of paths is empty; name at least one file or directory',
        '9:17 jobs.build.steps[0].save_cache.when: expected one of on_success, on_fail, always, got "sometimes"',
        '10:24 jobs.build.steps[1].restore_cache: restore_cache needs `keys`: the cache keys to try in order, as in `keys: [v1-deps-{{ checksum "package-lock.json" }}, v1-deps-]` (or one `key`)',
        '11:32 jobs.build.steps[2].restore_cache.keys: expected a list of cache keys, as in `[v1-deps-{{ checksum "package-lock.json" }}, v1-deps-]`, got the string "v1-deps"',
        '12:39 jobs.build.steps[3].persist_to_workspace.root: must not be empty',
        '12:57 jobs.build.steps[3].persist_to_workspace.paths[1]: must not be empty',
        '13:33 jobs.build.steps[4].attach_workspace.at: expected a string, got a list',
        '14:52 jobs.build.steps[5].store_artifacts.destination: must not be empty',
        '14:56 jobs.build.steps[5].store_artifacts.prefix: unknown key "prefix" in a store_artifacts step; expected one of: path, destination, name',
        '15:29 jobs.build.steps[6].store_test_results: store_test_results needs `path`: the JUnit XML file, or the directory holding them, as in `path: test-results`',
        '15:31 jobs.build.steps[6].store_test_results.paths: unknown key "paths" in a store_test_results step; expected one of: path, name',
        '16:9 jobs.build.steps[7]: the save_cache step needs options, as in `save_cache: { key: v1-deps-{{ checksum "package-lock.json" }}, paths: [node_modules] }`',
        '17:9 jobs.build.steps[8].attach_workspace: the attach_workspace step needs options, as in `attach_workspace: { at: . }`',
        '18:29 jobs.build.steps[9].store_test_results: expected the options of store_test_results, as in `store_test_results: { path: test-results }`, got the string "reports"',
      ].join('\n'),
    );
  });

  it('names what a missing required option is for', () => {
    expect(errors('      - save_cache: { name: Save }\n      - persist_to_workspace: { name: Keep }')).toBe(
      [
        '6:21 jobs.build.steps[0].save_cache: save_cache needs `key`: the cache\'s name, as in `key: v1-deps-{{ checksum "package-lock.json" }}`',
        '6:21 jobs.build.steps[0].save_cache: save_cache needs `paths`: the directories to save, as in `paths: [node_modules]`',
        '7:31 jobs.build.steps[1].persist_to_workspace: persist_to_workspace needs `root`: the directory `paths` are relative to, absolute or relative to the working directory, as in `root: .`',
        '7:31 jobs.build.steps[1].persist_to_workspace: persist_to_workspace needs `paths`: the files or directories under `root` to add to the workspace (globs allowed), as in `paths: [dist]`',
      ].join('\n'),
    );
  });

  it.each([
    [
      'store_artifacts: { path: out, when: always }',
      'store_artifacts takes no `when`: in CircleCI it always runs, even after a failed step; remove `when`',
    ],
    [
      'store_test_results: { path: out, when: on_fail }',
      'store_test_results takes no `when`: in CircleCI it always runs',
    ],
    [
      'persist_to_workspace: { root: ., paths: [a], when: always }',
      'persist_to_workspace takes no `when`: in CircleCI it runs only while every step before it succeeded; remove `when`',
    ],
    ['attach_workspace: { at: ., when: always }', 'attach_workspace takes no `when`: in CircleCI it runs only while'],
    ['restore_cache: { key: k, when: always }', 'restore_cache takes no `when`: in CircleCI it runs only while'],
  ])('refuses `when` where CircleCI has none: %s', (step, message) => {
    expect(parseErrors(config(`      - ${step}`))).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/\.when$/) as unknown,
        message: expect.stringContaining(message) as unknown,
      }),
    ]);
  });
});
