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
      '10:13 unknown step "chekout"; expected one of: checkout, run, deploy, when, unless, steps, add_ssh_keys, setup_remote_docker, save_cache, restore_cache, persist_to_workspace, attach_workspace, store_artifacts, store_test_results, lint',
    ]);
  });

  it('reads setup_remote_docker bare and with its options', () => {
    expect(steps('      - setup_remote_docker')).toEqual([
      {
        type: 'setup_remote_docker',
        name: 'Setup a remote Docker engine',
        when: 'on_success',
        dockerLayerCaching: false,
      },
    ]);
    expect(
      steps('      - setup_remote_docker:\n          version: 20.10.24\n          docker_layer_caching: true'),
    ).toEqual([
      {
        type: 'setup_remote_docker',
        name: 'Setup a remote Docker engine',
        when: 'on_success',
        version: '20.10.24',
        dockerLayerCaching: true,
      },
    ]);
  });

  it('refuses an unknown option of setup_remote_docker and a docker_layer_caching that is no boolean, at their lines', () => {
    const errors = parseErrors(
      withJob(
        'docker: [{ image: alpine }]\nsteps:\n  - setup_remote_docker:\n      docker_layer_caching: maybe\n      size: big',
      ),
    );
    expect(errors.map((e) => `${e.line}:${e.column}`)).toEqual(['7:33', '8:11']);
    expect(errors[0]?.message).toMatch(/true or false|boolean/);
    expect(errors[1]?.message).toMatch(/size/);
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

describe('add_ssh_keys', () => {
  const stepsOf = (steps: string) =>
    jobOf(parseValid(withJob(`docker: [{ image: alpine }]\nsteps:\n${steps}`)).workflows[0]?.jobs[0])?.steps;

  it('adds every project key when written bare, and the keys named (normalized) with fingerprints', () => {
    expect(
      stepsOf(
        [
          '  - add_ssh_keys',
          '  - add_ssh_keys:',
          '      fingerprints:',
          '        - "MD5:1F:14:46:C9:03:23:DC:96:48:EA:57:01:48:45:1A:A7"',
          '        - SHA256:brLzjWArD8EsdtcC2v5MUeFHVA8QtaLhYlyOo/TgWRQ',
        ].join('\n'),
      ),
    ).toEqual([
      { type: 'add_ssh_keys', name: 'Add SSH keys', when: 'on_success', fingerprints: [] },
      {
        type: 'add_ssh_keys',
        name: 'Add SSH keys',
        when: 'on_success',
        fingerprints: [
          '1f:14:46:c9:03:23:dc:96:48:ea:57:01:48:45:1a:a7',
          'SHA256:brLzjWArD8EsdtcC2v5MUeFHVA8QtaLhYlyOo/TgWRQ',
        ],
      },
    ]);
  });

  it('reports every bad fingerprint, an empty list, `when` and unknown keys at their line and column', () => {
    const errors = parseErrors(
      withJob(
        [
          'docker: [{ image: alpine }]',
          'steps:',
          '  - add_ssh_keys: { fingerprints: [deploy-key, "ab:cd"] }',
          '  - add_ssh_keys: { fingerprints: [] }',
          '  - add_ssh_keys: { fingerprints: SHA256:x, when: always, name: keys }',
        ].join('\n'),
      ),
    );
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message.split(';')[0]}`)).toEqual([
      '6:40 jobs.build.steps[0].add_ssh_keys.fingerprints[0]: "deploy-key" is not a key fingerprint',
      '6:52 jobs.build.steps[0].add_ssh_keys.fingerprints[1]: "ab:cd" is not a key fingerprint',
      '7:39 jobs.build.steps[1].add_ssh_keys.fingerprints: the list of fingerprints is empty',
      '8:39 jobs.build.steps[2].add_ssh_keys.fingerprints: expected a list of key fingerprints, got the string "SHA256:x"',
      '8:49 jobs.build.steps[2].add_ssh_keys.when: add_ssh_keys takes no `when`: in CircleCI it runs only while every step before it succeeded',
      '8:63 jobs.build.steps[2].add_ssh_keys.name: unknown key "name" in a add_ssh_keys step',
    ]);
  });

  it('cannot be the name of a command', () => {
    const errors = parseErrors(
      'version: 2.1\ncommands:\n  add_ssh_keys: { steps: [checkout] }\njobs:\n  build:\n    docker: [{ image: alpine }]\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n',
    );
    expect(errors.map((e) => e.message)).toEqual([
      'a command cannot be named "add_ssh_keys": that is a built-in step; rename the command',
    ]);
  });
});
