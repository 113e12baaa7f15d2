import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors, jobOf, parse, parseErrors, parseValid, withJob } from './helpers.js';

// What CircleCI accepts though it is loose (issue #16): Gyre accepts it too, and still refuses,
// at the line and column, what CircleCI refuses.

function onlyJob(text: string): Job {
  const job = jobOf(parseValid(text).workflows[0]?.jobs[0]);
  if (!job) throw new Error('expected one job');
  return job;
}

function warnings(text: string): string {
  const result = parse(text);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${formatErrors(result.errors)}`);
  return formatErrors(result.warnings);
}

describe('top-level keys that hold anchors', () => {
  it('ignores any top-level key that defines an anchor, once the anchor is used', () => {
    const job = onlyJob(`version: 2
base: &base
  docker: [{ image: alpine }]
_defaults:
  - &workdir /src
jobs:
  build:
    <<: *base
    working_directory: *workdir
    steps: [checkout]
`);
    expect(job).toMatchObject({ docker: { primary: { image: 'alpine' } }, workingDirectory: '/src' });
  });

  it('still refuses an unknown top-level key that holds no anchor, as it is usually a typo', () => {
    const errors = parseErrors('version: 2\njob:\n  build: { docker: [{ image: alpine }], steps: [checkout] }\n');
    expect(formatErrors(errors)).toContain(
      '2:1 job: unknown top-level key "job"; expected one of: version, jobs, workflows, orbs, commands, executors, parameters, setup',
    );
  });

  it('reads `orbs:` as orbs even when it holds an anchor, so a missing orb is still reported', () => {
    const errors = parseErrors(
      `version: 2.1\norbs: &o\n  node: circleci/node@5\n${withJob('docker: [{ image: alpine }]\nsteps: [checkout]').slice(13)}`,
    );
    expect(errors).toEqual([
      expect.objectContaining({
        line: 3,
        column: 9,
        path: 'orbs.node',
        message: expect.stringMatching(/^orb circleci\/node@5 is not in this installation's orb store/) as unknown,
      }),
    ]);
  });
});

describe('merge keys', () => {
  it('merges several `<<` keys in one map in order: explicit keys first, then the earlier merge', () => {
    const job = onlyJob(`version: 2
docker_image: &image
  docker: [{ image: alpine }]
  working_directory: /image
workdir: &workdir
  working_directory: /workdir
  shell: /bin/sh
env: &env
  shell: /bin/bash
jobs:
  build:
    <<: *image
    <<: [*workdir, *env]
    environment: { A: '1' }
    steps: [checkout]
`);
    expect(job).toMatchObject({ workingDirectory: '/image', shell: '/bin/sh', environment: { A: '1' } });
  });

  it('still refuses a repeated ordinary key, naming it', () => {
    expect(
      formatErrors(parseErrors(withJob('docker: [{ image: alpine }]\nsteps: [checkout]\nsteps: [checkout]'))),
    ).toBe(
      '6:5 (root): invalid YAML: duplicate key "steps"; each key may appear only once in a map (merge the two, or rename one)',
    );
  });

  it('accepts an anchored key whose value is null, used where null is accepted', () => {
    const job = onlyJob(`version: 2
references:
  no_env: &no_env
jobs:
  build:
    docker: [{ image: alpine, environment: *no_env }]
    steps:
      - checkout: *no_env
`);
    expect(job.docker.primary.environment).toEqual({});
    expect(job.steps).toEqual([{ type: 'checkout' }]);
    expect(job.parallelism).toBeUndefined();
  });

  it('still refuses merging a null anchor, pointing at the anchor', () => {
    expect(formatErrors(parseErrors('version: 2\nreferences:\n  x: &x\njobs:\n  build:\n    <<: *x\n'))).toBe(
      '3:8 jobs.build.<<: a merge key `<<` takes a map (usually an alias such as *defaults) or a list of maps',
    );
  });
});

describe('environment', () => {
  const envOf = (yaml: string): Job['environment'] =>
    onlyJob(withJob(`docker: [{ image: alpine }]\nsteps: [checkout]\nenvironment:${yaml}`)).environment;

  it.each([
    ['a map', '\n  A: "1"\n  B: two', { A: '1', B: 'two' }],
    ['a list of one-key maps', '\n  - A: 1\n  - B: two', { A: '1', B: 'two' }],
    ['a list of NAME=value strings, split at the first =', '\n  - A=1\n  - B=x=y\n  - C=', { A: '1', B: 'x=y', C: '' }],
    ['a mixed list, later names winning', '\n  - A=1\n  - A: 2', { A: '2' }],
    ['a key without a value, as the empty string', '\n  A:\n  B: b', { A: '', B: 'b' }],
    ['nothing at all', '', {}],
    ['names with dots', '\n  spring.profiles.active: test', { 'spring.profiles.active': 'test' }],
  ])('reads %s', (_what, yaml, expected) => {
    expect(envOf(yaml)).toEqual(expected);
  });

  it('reads every form on images, executors and steps too', () => {
    const config = parseValid(`version: 2.1
executors:
  e:
    docker:
      - image: alpine
        environment: [IMAGE=1]
    environment:
      - EXECUTOR: 1
jobs:
  build:
    executor: e
    steps:
      - run: { command: make, environment: [STEP=1] }
workflows:
  w:
    jobs: [build]
`);
    const job = jobOf(config.workflows[0]?.jobs[0]);
    expect(job?.docker.primary.environment).toEqual({ IMAGE: '1' });
    expect(job?.environment).toEqual({ EXECUTOR: '1' });
    expect(job?.steps[0]).toMatchObject({ environment: { STEP: '1' } });
  });

  it.each([
    [
      'a string',
      ' A=1',
      '6:18 jobs.build.environment: expected a map of variable names to values, or a list of `NAME=value` strings or `NAME: value` maps, got the string "A=1"',
    ],
    [
      'a list item without =',
      '\n  - A',
      '7:9 jobs.build.environment[0]: "A" has no value; write `A=value`, or `A=` for the empty string',
    ],
    [
      'a nested list',
      '\n  - [A=1]',
      '7:9 jobs.build.environment[0]: expected `NAME=value` or `NAME: value`, got a list',
    ],
    [
      'a map value',
      '\n  A: { b: 1 }',
      '7:10 jobs.build.environment.A: expected a string, number or boolean, got a map',
    ],
    [
      'a name with a dash',
      '\n  - my-var=1',
      '7:9 jobs.build.environment[0]: "my-var" is not a valid environment variable name; use letters, digits, _ and . and do not start with a digit',
    ],
    [
      'a name starting with a digit',
      '\n  1A: x',
      '7:7 jobs.build.environment.1A: "1A" is not a valid environment variable name; use letters, digits, _ and . and do not start with a digit',
    ],
  ])('refuses %s at its line and column, saying what to write', (_what, yaml, expected) => {
    const errors = parseErrors(withJob(`docker: [{ image: alpine }]\nsteps: [checkout]\nenvironment:${yaml}`));
    expect(formatErrors(errors)).toBe(expected);
  });
});

describe('nulls and defaults CircleCI accepts', () => {
  it('reads `- checkout:` with nothing after it as a plain checkout', () => {
    expect(onlyJob(withJob('docker: [{ image: alpine }]\nsteps:\n  - checkout:\n  - run: make')).steps[0]).toEqual({
      type: 'checkout',
    });
  });

  it('accepts `parallelism: 1`, the default, written out or from a parameter', () => {
    for (const one of ['1', '"1"', '1.0'])
      expect(
        onlyJob(withJob(`docker: [{ image: alpine }]\nparallelism: ${one}\nsteps: [checkout]`)).steps,
      ).toHaveLength(1);
    const job = onlyJob(`version: 2.1
jobs:
  build:
    parameters:
      n: { type: integer, default: 1 }
    docker: [{ image: alpine }]
    parallelism: << parameters.n >>
    steps: [checkout]
workflows:
  w:
    jobs: [build]
`);
    expect(job.steps).toEqual([{ type: 'checkout' }]);
  });

  it('runs a job on as many nodes as `parallelism` says', () => {
    expect(onlyJob(withJob('docker: [{ image: alpine }]\nparallelism: 4\nsteps: [checkout]')).parallelism).toBe(4);
  });

  it.each([
    ['0', '5:18 jobs.build.parallelism: expected a whole number of parallel nodes from 1 to 100, got the number 0'],
    ['101', '5:18 jobs.build.parallelism: expected a whole number of parallel nodes from 1 to 100, got the number 101'],
    ['2.5', '5:18 jobs.build.parallelism: expected a whole number of parallel nodes from 1 to 100, got the number 2.5'],
    [
      'many',
      '5:18 jobs.build.parallelism: expected a whole number of parallel nodes from 1 to 100, got the string "many"',
    ],
  ])('refuses parallelism %s at its position', (value, expected) => {
    expect(
      formatErrors(parseErrors(withJob(`docker: [{ image: alpine }]\nparallelism: ${value}\nsteps: [checkout]`))),
    ).toBe(expected);
  });
});

describe('ignored image keys', () => {
  it('accepts ports, container_name and their kin with a warning each, and runs the image without them', () => {
    const text = withJob(`docker:
  - image: alpine
  - image: postgres:16
    ports: ["5432:5432"]
    expose: ["5432"]
    container_name: db
    hostname: db
    links: [app]
    depends_on: [app]
steps: [checkout]`);
    expect(onlyJob(text).docker.services).toEqual([{ image: 'postgres:16', environment: {} }]);
    expect(warnings(text).split('\n')).toEqual([
      "7:9 jobs.build.docker[1].ports: `ports` is ignored, as CircleCI ignores it: services are reachable on every port from the job's containers without publishing them",
      "8:9 jobs.build.docker[1].expose: `expose` is ignored, as CircleCI ignores it: services are reachable on every port from the job's containers without exposing them",
      '9:9 jobs.build.docker[1].container_name: `container_name` is ignored, as CircleCI ignores it: use `name` to choose the host name other containers reach this one by',
      '10:9 jobs.build.docker[1].hostname: `hostname` is ignored, as CircleCI ignores it: use `name` to choose the host name other containers reach this one by',
      "11:9 jobs.build.docker[1].links: `links` is ignored, as CircleCI ignores it: every container of the job is reachable by its `name` (or its image's short name)",
      '12:9 jobs.build.docker[1].depends_on: `depends_on` is ignored, as CircleCI ignores it: services start before the steps run; wait for a service in a run step if it needs time',
    ]);
  });

  it('reports warnings beside the errors of a config that is refused', () => {
    const result = parse(withJob('docker: [{ image: alpine, ports: [80] }]\nsteps: [chekout]'));
    expect(result.ok).toBe(false);
    expect(result.warnings).toEqual([expect.objectContaining({ line: 4, path: 'jobs.build.docker[0].ports' })]);
  });

  it('still refuses the keys that would reach the host, and plain typos', () => {
    const errors = parseErrors(
      withJob('docker: [{ image: alpine, volumes: [/:/host], enviroment: { A: 1 } }]\nsteps: [checkout]'),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'a docker image may not request volumes (host mounts): pipeline configs can never use privileged mode, host mounts, the Docker socket or the host network',
      expect.stringMatching(
        /^unknown key "enviroment" in a docker image; expected one of: image, name, environment/,
      ) as unknown,
    ]);
  });
});

describe('the deploy step', () => {
  it('runs like run, with the same options and defaults, and warns that CircleCI deprecated it', () => {
    const text = withJob(`docker: [{ image: alpine }]
steps:
  - deploy:
      name: Ship
      command: ./ship
      environment: [TARGET=prod]
      when: always
  - deploy: ./again`);
    expect(onlyJob(text).steps).toEqual([
      {
        type: 'run',
        name: 'Ship',
        command: './ship',
        environment: { TARGET: 'prod' },
        background: false,
        noOutputTimeoutMs: 600_000,
        when: 'always',
      },
      expect.objectContaining({ type: 'run', name: './again', command: './again' }),
    ]);
    expect(warnings(text)).toBe(
      [
        '6:9 jobs.build.steps[0].deploy: the deploy step runs as a run step with the same options; CircleCI has deprecated it, so rename it to `run`',
        '11:9 jobs.build.steps[1].deploy: the deploy step runs as a run step with the same options; CircleCI has deprecated it, so rename it to `run`',
      ].join('\n'),
    );
  });

  it.each([
    [
      'deploy:',
      '6:9 jobs.build.steps[0].deploy: a deploy step needs a command: `- deploy: make test` or a map with `command`',
    ],
    ['deploy: { name: x }', '6:17 jobs.build.steps[0].deploy: a deploy step needs `command`: the shell command to run'],
    [
      'deploy: { command: x, parallel: true }',
      '6:31 jobs.build.steps[0].deploy.parallel: unknown key "parallel" in a deploy step; expected one of: command, name, shell, environment, working_directory, background, no_output_timeout, when',
    ],
  ])('refuses %j as it refuses run', (step, expected) => {
    expect(formatErrors(parseErrors(withJob(`docker: [{ image: alpine }]\nsteps:\n  - ${step}`)))).toBe(expected);
  });
});
