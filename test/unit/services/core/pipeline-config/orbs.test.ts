import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type OrbLibrary,
  type ParseResult,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { orbReferencesIn } from '../../../../../src/services/core/pipeline-config/orb-references.js';
import { formatErrors, jobOf, parseErrors, parseValid } from './helpers.js';

function parseWith(text: string, orbs: Record<string, string>): ParseResult {
  const library: OrbLibrary = new Map(
    Object.entries(orbs).map(([written, yaml]) => [written, { ref: written.replace(/@(\d+)$/, '@$1.0.0'), yaml }]),
  );
  return parsePipelineConfig(text, { resourceClasses: DEFAULT_RESOURCE_CLASSES, orbs: library });
}

function errorsWith(text: string, orbs: Record<string, string>): string {
  const result = parseWith(text, orbs);
  if (result.ok) throw new Error('expected errors, but the config parsed');
  return formatErrors(result.errors);
}

// An inline orb whose job uses its own executor and command by their bare names, and a config
// job that uses the orb's elements by `tools/...` next to a command of its own with the same name.
const INLINE = `version: 2.1
orbs:
  tools:
    executors:
      default:
        parameters:
          tag: { type: string, default: "3.12" }
        docker: [{ image: "python:<< parameters.tag >>" }]
    commands:
      greet:
        parameters:
          who: { type: string, default: orb }
        steps:
          - run: echo "hello from the orb, << parameters.who >>"
    jobs:
      lint:
        executor: default
        steps: [checkout, greet]
commands:
  greet:
    steps:
      - run: echo "hello from the config"
jobs:
  build:
    executor: { name: tools/default, tag: "3.11" }
    steps:
      - greet
      - tools/greet: { who: build }
workflows:
  main:
    jobs: [build, tools/lint]
`;

describe('inline orbs', () => {
  it('resolves bare names inside the orb to its own elements, and `alias/name` in the config', () => {
    const [workflow] = parseValid(INLINE).workflows;
    const build = jobOf(workflow?.jobs.find((j) => j.name === 'build'));
    const lint = jobOf(workflow?.jobs.find((j) => j.name === 'tools/lint'));
    expect(build?.docker.primary.image).toBe('python:3.11');
    expect(build?.steps.map((s) => (s.type === 'run' ? s.command : s.type))).toEqual([
      'echo "hello from the config"',
      'echo "hello from the orb, build"',
    ]);
    expect(lint?.docker.primary.image).toBe('python:3.12');
    expect(lint?.steps.map((s) => (s.type === 'run' ? s.command : s.type))).toEqual([
      'checkout',
      'echo "hello from the orb, orb"',
    ]);
  });

  it('resolves an executor or steps a parameter carries where they were written, not where they are used', () => {
    const text = `version: 2.1
orbs:
  tools:
    executors:
      default: { docker: [{ image: "orb-image" }] }
    jobs:
      test:
        parameters:
          executor: { type: executor, default: default }
          setup: { type: steps, default: [] }
        executor: << parameters.executor >>
        steps: [checkout, { steps: << parameters.setup >> }, { run: make test }]
executors:
  default: { docker: [{ image: "config-image" }] }
commands:
  prepare:
    steps: [{ run: make prepare }]
jobs:
  unused: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  main:
    jobs:
      - tools/test: { name: with-defaults }
      - tools/test: { name: with-mine, executor: default, setup: [prepare] }
      - tools/test: { name: with-orbs, executor: tools/default }
`;
    const [workflow] = parseValid(text).workflows;
    const image = (name: string) => jobOf(workflow?.jobs.find((j) => j.name === name))?.docker.primary.image;
    expect(image('with-defaults')).toBe('orb-image');
    expect(image('with-mine')).toBe('config-image');
    expect(image('with-orbs')).toBe('orb-image');
    const mine = jobOf(workflow?.jobs.find((j) => j.name === 'with-mine'));
    expect(mine?.steps.map((s) => (s.type === 'run' ? s.command : s.type))).toEqual([
      'checkout',
      'make prepare',
      'make test',
    ]);
  });

  it('keeps `\\<<` as a literal `<<`, as packed orbs escape their scripts', () => {
    const text = `version: 2.1
orbs:
  tools:
    commands:
      write:
        parameters: { file: { type: string, default: out.txt } }
        steps:
          - run: "cat > << parameters.file >> \\\\<<EOF\\nliteral \\\\<< parameters.file >>\\nEOF"
jobs:
  build: { docker: [{ image: alpine }], steps: [tools/write] }
workflows:
  main: { jobs: [build] }
`;
    const step = jobOf(parseValid(text).workflows[0]?.jobs[0])?.steps[0];
    expect(step?.type === 'run' && step.command).toBe('cat > out.txt <<EOF\nliteral << parameters.file >>\nEOF');
  });

  it('removes the escape wherever an escaped value travels: defaults, steps defaults, matrix values, pipeline parameters', () => {
    const text = `version: 2.1
parameters:
  banner: { type: string, default: 'echo \\<<pipeline>>' }
commands:
  write:
    parameters:
      script: { type: string, default: 'cat \\<<EOF' }
      after: { type: steps, default: [{ run: 'tail \\<<END' }] }
    steps: [{ run: << parameters.script >> }, { steps: << parameters.after >> }, { run: << pipeline.parameters.banner >> }]
jobs:
  build:
    parameters: { tag: { type: string } }
    docker: [{ image: alpine }]
    steps: [write, { run: "echo << parameters.tag >>" }]
workflows:
  main:
    jobs: [{ build: { matrix: { parameters: { tag: ['a\\<<b'] } } } }]
`;
    const [workflowJob] = parseValid(text).workflows[0]?.jobs ?? [];
    expect(workflowJob?.name).toBe('build-a<<b');
    expect(jobOf(workflowJob)?.steps.map((step) => step.type === 'run' && step.command)).toEqual([
      'cat <<EOF',
      'tail <<END',
      'echo <<pipeline>>',
      'echo a<<b',
    ]);
  });

  it('refuses a config that reads more orbs than a config needs, so a small config cannot make the services do unbounded work', () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `  o${i}: *o`).join('\n');
    const text = `version: 2.1\norbs:\n  base: &o { commands: { hi: { steps: [checkout] } } }\n${aliases}\njobs:\n  build: { docker: [{ image: alpine }], steps: [base/hi] }\n`;
    expect(formatErrors(parseErrors(text))).toBe(
      '35:3 orbs.o31: the config reads more than 32 orbs, counting the orbs each orb uses; use fewer aliases',
    );
  });

  it('reports what an orb lacks, names the orbs a scope declares, and keeps the config’s names apart', () => {
    const text = INLINE.replace('steps: [checkout, greet]', 'steps: [checkout, greet, nothing-here, other/thing]')
      .replace('- greet\n', '- greet\n      - tools/nothing\n')
      .replace('jobs: [build, tools/lint]', 'jobs: [build, tools/lint, tools/missing, tools/deep/er]');
    expect(errorsWith(text, {})).toBe(
      [
        '18:34 orbs.tools.jobs.lint.steps[2]: unknown step "nothing-here"; expected one of: checkout, run, deploy, when, unless, steps, add_ssh_keys, setup_remote_docker, save_cache, restore_cache, persist_to_workspace, attach_workspace, store_artifacts, store_test_results, greet',
        '18:48 orbs.tools.jobs.lint.steps[3]: "other/thing" names no orb "other" under `orbs:` (none is declared)',
        '28:9 jobs.build.steps[1]: unknown step "tools/nothing"; expected one of: checkout, run, deploy, when, unless, steps, add_ssh_keys, setup_remote_docker, save_cache, restore_cache, persist_to_workspace, attach_workspace, store_artifacts, store_test_results, greet, tools/greet',
        '32:31 workflows.main.jobs[2]: unknown job "tools/missing"; jobs defined under `jobs:`: build, tools/lint',
        '32:46 workflows.main.jobs[3]: "tools/deep/er" is not an orb element; write `tools/<element>`, as in `tools/install`',
      ].join('\n'),
    );
  });

  it('refuses `/` in the names of aliases and definitions, and orbs in a version 2 config', () => {
    expect(
      formatErrors(
        parseErrors(`version: 2.1
orbs:
  a/b: { commands: {} }
commands:
  x/y: { steps: [checkout] }
jobs:
  build: { docker: [{ image: alpine }], steps: [checkout] }
`),
      ),
    ).toBe(
      [
        '3:3 orbs.a/b: orb alias "a/b" cannot contain `/`; rename it',
        '5:3 commands.x/y: "x/y" cannot be a name: `/` separates an orb from its elements (`node/install`); rename it',
      ].join('\n'),
    );
    expect(
      formatErrors(
        parseErrors(
          'version: 2\norbs: { a: { commands: {} } }\njobs: { build: { docker: [{ image: alpine }], steps: [checkout] } }\n',
        ),
      ),
    ).toBe('2:1 orbs: `orbs` needs `version: 2.1`; this config says version 2');
  });
});

describe('orbs from the orb store', () => {
  const PACKED = `version: 2.1
description: A packed orb.
orbs:
  helper: acme/helper@1
commands:
  install:
    steps:
      - helper/setup
      - run: make install
jobs:
  broken:
    docker: [{ image: alpine }]
    steps: [not-a-step]
`;
  const HELPER = `version: 2.1
commands:
  setup:
    steps: [{ run: ./setup.sh }]
`;
  const CONFIG = `version: 2.1
orbs:
  tool: acme/tool@2.0.0
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [tool/install]
workflows:
  main: { jobs: [build] }
`;

  it("expands an imported orb and the orbs it depends on, under the orb's own aliases", () => {
    const result = parseWith(CONFIG, { 'acme/tool@2.0.0': PACKED, 'acme/helper@1': HELPER });
    if (!result.ok) throw new Error(formatErrors(result.errors));
    const steps = jobOf(result.config.workflows[0]?.jobs[0])?.steps;
    expect(steps?.map((s) => s.type === 'run' && s.command)).toEqual(['./setup.sh', 'make install']);
  });

  it('reports an error inside an orb at its line in the orb, naming the orb, once the job is used', () => {
    const used = CONFIG.replace('jobs: [build]', 'jobs: [build, tool/broken]');
    expect(errorsWith(used, { 'acme/tool@2.0.0': PACKED, 'acme/helper@1': HELPER })).toBe(
      'acme/tool@2.0.0 13:13 jobs.broken.steps[0]: unknown step "not-a-step"; expected one of: checkout, run, deploy, when, unless, steps, add_ssh_keys, setup_remote_docker, save_cache, restore_cache, persist_to_workspace, attach_workspace, store_artifacts, store_test_results, helper/setup, install',
    );
  });

  it('names a missing orb, and how to import it, once, without a follow-up error for each use', () => {
    expect(errorsWith(CONFIG, { 'acme/tool@2.0.0': PACKED })).toBe(
      "acme/tool@2.0.0 4:11 orbs.helper: orb acme/helper@1 is not in this installation's orb store (Gyre cannot reach CircleCI's orb registry). An administrator imports it with `gyre orbs import acme/helper@<version> <packed.yml or orb source directory>`, or under Orbs in the admin console",
    );
    expect(errorsWith(CONFIG.replace('jobs: [build]', 'jobs: [build, tool/broken]'), {})).toMatch(
      /^3:9 orbs\.tool: orb acme\/tool@2\.0\.0 is not in this installation's orb store[^\n]*$/,
    );
  });

  it('parses an imported orb once however many aliases name it, and counts every alias', () => {
    const many = Array.from({ length: 33 }, (_, i) => `  t${i}: acme/tool@2.0.0`).join('\n');
    const text = CONFIG.replace('  tool: acme/tool@2.0.0', many).replace('tool/install', 't0/install');
    // The tool orb's own helper counts too: the 17th alias of the config is the 33rd orb read.
    expect(errorsWith(text, { 'acme/tool@2.0.0': PACKED, 'acme/helper@1': HELPER })).toBe(
      '19:3 orbs.t16: the config reads more than 32 orbs, counting the orbs each orb uses; use fewer aliases',
    );
  });

  it('refuses an orb that depends on itself, and broken YAML in an orb', () => {
    const loop = `version: 2.1\norbs:\n  again: acme/tool@2.0.0\ncommands:\n  install: { steps: [checkout] }\n`;
    expect(errorsWith(CONFIG, { 'acme/tool@2.0.0': loop })).toBe(
      'acme/tool@2.0.0 3:10 orbs.again: orb acme/tool@2.0.0 depends on itself: acme/tool@2.0.0 → acme/tool@2.0.0',
    );
    expect(errorsWith(CONFIG, { 'acme/tool@2.0.0': 'commands: [\n' })).toMatch(
      /^acme\/tool@2\.0\.0 2:1 \(root\): invalid YAML/,
    );
  });

  it('finds every reference a config or orb writes, inline orbs included, for the planner to fetch', () => {
    expect(
      orbReferencesIn(
        'version: 2.1\norbs:\n  node: circleci/node@7\n  mine:\n    orbs: { go: circleci/go@3.0.3, node: circleci/node@7 }\n',
      ),
    ).toEqual(['circleci/node@7', 'circleci/go@3.0.3']);
    expect(orbReferencesIn('not: [valid')).toEqual([]);
  });
});
