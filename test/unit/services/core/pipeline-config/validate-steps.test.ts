import { describe, expect, it } from '@jest/globals';
import type { Step } from '../../../../../src/services/core/pipeline-config/index.js';
import { jobOf, parseErrors, parseValid, withJob } from './helpers.js';

function steps(stepsYaml: string, commands = ''): readonly Step[] {
  const text = `version: 2.1\n${commands}jobs:\n  build:\n    docker: [{ image: alpine }]\n    steps:\n${stepsYaml}\nworkflows:\n  w:\n    jobs: [build]\n`;
  return jobOf(parseValid(text).workflows[0]?.jobs[0])?.steps ?? [];
}

describe('steps', () => {
  it('reads checkout with and without a path, and run as a string with CircleCI defaults', () => {
    expect(
      steps('      - checkout\n      - checkout: { path: src }\n      - run: |\n          npm ci\n          npm test'),
    ).toEqual([
      { type: 'checkout' },
      { type: 'checkout', path: 'src' },
      {
        type: 'run',
        name: 'npm ci',
        command: 'npm ci\nnpm test\n',
        environment: {},
        background: false,
        noOutputTimeoutMs: 600_000,
        when: 'on_success',
      },
    ]);
  });

  it.each(['0s', '0', '1.5x'])('refuses no_output_timeout %j at its position', (timeout) => {
    const errors = parseErrors(
      withJob(`docker: [{ image: alpine }]\nsteps:\n  - run: { command: make, no_output_timeout: ${timeout} }`),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        line: 6,
        path: 'jobs.build.steps[0].run.no_output_timeout',
        message: 'expected a duration such as 30s, 10m, 1h or 1h30m',
      }),
    ]);
  });

  it('reads a fractional no_output_timeout', () => {
    const [step] = steps('      - run: { command: make, no_output_timeout: 1.5h }');
    expect(step).toMatchObject({ type: 'run', noOutputTimeoutMs: 5_400_000 });
  });

  it('expands commands that call other commands, in order', () => {
    const commands =
      'commands:\n  inner:\n    steps: [{ run: echo inner }]\n  outer:\n    steps: [{ run: echo outer }, inner]\n';
    expect(steps('      - outer\n      - inner', commands).map((s) => (s.type === 'run' ? s.command : s.type))).toEqual(
      ['echo outer', 'echo inner', 'echo inner'],
    );
  });

  it('splices `- steps: << parameters.x >>` in, as CircleCI documents for steps parameters', () => {
    const commands =
      'commands:\n  around:\n    parameters: { body: { type: steps } }\n    steps: [{ run: echo before }, { steps: << parameters.body >> }, { run: echo after }]\n';
    expect(
      steps('      - around: { body: [{ run: echo one }, { run: echo two }] }', commands).map((s) =>
        s.type === 'run' ? s.command : s.type,
      ),
    ).toEqual(['echo before', 'echo one', 'echo two', 'echo after']);
  });

  it('reports commands that call themselves instead of looping forever', () => {
    const errors = parseErrors(`version: 2.1
commands:
  a:
    steps: [b]
  b:
    steps: [a]
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [a]
workflows:
  w:
    jobs: [build]
`);
    expect(errors).toEqual([
      {
        line: 6,
        column: 13,
        path: 'commands.b.steps[0]',
        message: 'command "a" calls itself (a → b → a); commands cannot be recursive',
      },
    ]);
  });

  it('names the known steps when one is unknown, and refuses a command named like a built-in', () => {
    const errors = parseErrors(`version: 2.1
commands:
  run:
    steps: [checkout]
  lint:
    steps: [{ run: make lint }]
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [chekout]
workflows:
  w:
    jobs: [build]
`);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      '3:3 a command cannot be named "run": that is a built-in step; rename the command',
      '10:13 unknown step "chekout"; expected one of: checkout, run, deploy, when, unless, steps, save_cache, restore_cache, persist_to_workspace, attach_workspace, store_artifacts, store_test_results, lint',
    ]);
  });

  it.each([
    ['add_ssh_keys', 'the add_ssh_keys step is not supported yet'],
    ['setup_remote_docker', 'the setup_remote_docker step is not supported: builds cannot reach a Docker daemon'],
  ])('refuses the step %s at its line and column', (step, message) => {
    expect(parseErrors(withJob(`docker: [{ image: alpine }]\nsteps:\n  - checkout\n  - ${step}`))).toEqual([
      expect.objectContaining({ line: 7, column: 9, message }),
    ]);
  });

  it('points at the first extra key when run options are not indented under run', () => {
    const errors = parseErrors(withJob('docker: [{ image: alpine }]\nsteps:\n  - run:\n    command: make'));
    expect(errors).toEqual([
      expect.objectContaining({
        line: 7,
        column: 9,
        path: 'jobs.build.steps[0]',
        message: expect.stringMatching(/exactly one key.*Check the indentation/) as unknown,
      }),
    ]);
  });
});
