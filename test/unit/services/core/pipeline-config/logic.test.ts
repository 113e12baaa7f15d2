import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type PipelineValues,
  type RunStep,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors, jobOf, parseErrors, parseValid } from './helpers.js';

const MAIN: PipelineValues = { 'pipeline.git.branch': 'main', 'pipeline.number': 42, 'pipeline.git.tag': '' };

/** The workflows that run for a config whose workflow `w` has the given `when`/`unless` lines. */
function workflowsRun(condition: string, values: PipelineValues = MAIN, parameters = ''): string[] {
  const text = `version: 2.1
${parameters}
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [{ run: make }]
workflows:
  always:
    jobs: [build]
  w:
${condition
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
    jobs: [build]
`;
  const result = parsePipelineConfig(text, { resourceClasses: DEFAULT_RESOURCE_CLASSES, pipelineValues: values });
  if (!result.ok) throw new Error(formatErrors(result.errors));
  return result.config.workflows.map((w) => w.name).filter((name) => name !== 'always');
}

describe('workflow when and unless', () => {
  it.each([
    ['when: true', ['w']],
    ['when: false', []],
    ['unless: false', ['w']],
    ['unless: true', []],
    ['when: ""', []],
    ['when: 0', []],
    ['when: null', []],
    ['when: "false"', ['w']], // a non-empty string is truthy, whatever it says
  ])('treats the literal `%s` as CircleCI does', (condition, expected) => {
    expect(workflowsRun(condition)).toEqual(expected);
  });

  it('runs a workflow by branch with equal, or, and not/matches on pipeline values', () => {
    const onBranches =
      'when:\n  or:\n    - equal: [ main, << pipeline.git.branch >> ]\n    - equal: [ staging, << pipeline.git.branch >> ]';
    expect(workflowsRun(onBranches)).toEqual(['w']);
    expect(workflowsRun(onBranches, { ...MAIN, 'pipeline.git.branch': 'staging' })).toEqual(['w']);
    expect(workflowsRun(onBranches, { ...MAIN, 'pipeline.git.branch': 'feature/x' })).toEqual([]);

    const notFeature =
      'when:\n  and:\n    - not:\n        matches: { pattern: "^feature/.+$", value: << pipeline.git.branch >> }\n    - << pipeline.number >>';
    expect(workflowsRun(notFeature)).toEqual(['w']);
    expect(workflowsRun(notFeature, { ...MAIN, 'pipeline.git.branch': 'feature/x' })).toEqual([]);
  });

  it('needs matches to match the whole value, as Java regular expressions in CircleCI do', () => {
    const condition = 'when:\n  matches: { pattern: "release", value: << pipeline.git.branch >> }';
    expect(workflowsRun(condition, { ...MAIN, 'pipeline.git.branch': 'release' })).toEqual(['w']);
    expect(workflowsRun(condition, { ...MAIN, 'pipeline.git.branch': 'release-1' })).toEqual([]);
  });

  it('compares with types: pipeline.number is a number, so 42 equals it and "42" does not', () => {
    expect(workflowsRun('when:\n  equal: [ 42, << pipeline.number >> ]')).toEqual(['w']);
    expect(workflowsRun('when:\n  equal: [ "42", << pipeline.number >> ]')).toEqual([]);
  });

  it('switches workflows on a boolean pipeline parameter, the way real configs pair when and unless', () => {
    const parameters = 'parameters:\n  run_flaky_tests: { type: boolean, default: false }';
    expect(workflowsRun('when: << pipeline.parameters.run_flaky_tests >>', MAIN, parameters)).toEqual([]);
    expect(workflowsRun('unless: << pipeline.parameters.run_flaky_tests >>', MAIN, parameters)).toEqual(['w']);
  });

  it('still checks a workflow its condition skips, and reports every bad statement at its place', () => {
    const errors = parseErrors(`version: 2.1
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [{ run: make }]
workflows:
  w:
    when:
      and:
        - false
        - nor: [a]
        - or: []
        - matches: { pattern: "(", value: x }
        - matches: { value: x }
    unless: << parameters.skip >>
    jobs: [build, missing]
`);
    expect(formatErrors(errors)).toBe(
      [
        '11:11 workflows.w.when.and[1]: expected a logic statement: a map with one key, one of and, or, not, equal, matches; got the keys nor',
        '12:15 workflows.w.when.and[2].or: expected a non-empty list of logic statements, got a list',
        '13:31 workflows.w.when.and[3].matches.pattern: not a valid regular expression: Unterminated group',
        '14:20 workflows.w.when.and[4].matches.pattern: a matches statement needs `pattern`, a string',
        '15:13 workflows.w.unless: unknown parameter << parameters.skip >>: parameters can only be used inside a job, command or executor',
        '16:19 workflows.w.jobs[1]: unknown job "missing"; jobs defined under `jobs:`: build',
      ].join('\n'),
    );
  });
});

describe('when and unless steps', () => {
  const config = `version: 2.1
commands:
  install:
    parameters:
      browser: { type: string }
    steps:
      - when:
          condition:
            equal: [ "chrome", << parameters.browser >> ]
          steps:
            - run: install chrome
      - unless:
          condition:
            equal: [ "chrome", << parameters.browser >> ]
          steps:
            - run: install << parameters.browser >>
            - some-orb/not-here
jobs:
  test:
    parameters:
      browser: { type: string }
    docker: [{ image: alpine }]
    steps:
      - install: { browser: << parameters.browser >> }
      - when:
          condition: { equal: [ main, << pipeline.git.branch >> ] }
          steps: [{ run: deploy }]
workflows:
  w:
    jobs:
      - test: { name: chrome, browser: chrome }
`;

  it('splices in the steps whose condition holds, with parameters and pipeline values substituted', () => {
    const run = (values: PipelineValues): string[] => {
      const result = parsePipelineConfig(config, {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
        pipelineValues: values,
      });
      if (!result.ok) throw new Error(formatErrors(result.errors));
      const steps = jobOf(result.config.workflows[0]?.jobs[0])?.steps ?? [];
      return steps.filter((s): s is RunStep => s.type === 'run').map((s) => s.command);
    };
    // The unless branch names a step that does not exist; it is not taken, so it is not read.
    expect(run(MAIN)).toEqual(['install chrome', 'deploy']);
    expect(run({ ...MAIN, 'pipeline.git.branch': 'feature' })).toEqual(['install chrome']);
  });

  it('reads the branch taken, so a mistake there is reported', () => {
    const errors = parseErrors(config.replace('browser: chrome }', 'browser: firefox }'));
    expect(formatErrors(errors)).toMatch(
      /^17:15 commands\.install\.steps\[1\]\.unless\.steps\[1\]: "some-orb\/not-here" names no orb "some-orb" under `orbs:`/,
    );
  });

  it('needs a condition and steps', () => {
    const errors = parseErrors(`version: 2.1
jobs:
  build:
    docker: [{ image: alpine }]
    steps:
      - when: { steps: [{ run: make }] }
      - unless: { condition: true, steps: [], otherwise: [] }
workflows:
  w:
    jobs: [build]
`);
    expect(formatErrors(errors)).toBe(
      [
        '6:15 jobs.build.steps[0].when: a when step needs `condition`: `condition` and the `steps` it guards',
        '7:47 jobs.build.steps[1].unless.otherwise: unknown key "otherwise" in an unless step; expected one of: condition, steps',
      ].join('\n'),
    );
  });

  it('keeps steps that are literally true, as an anchor or parameter often leaves them', () => {
    const config2 = parseValid(`version: 2.1
jobs:
  build:
    docker: [{ image: alpine }]
    steps:
      - when: { condition: true, steps: [{ run: yes }] }
      - when: { condition: false, steps: [{ run: no }] }
workflows:
  w:
    jobs: [build]
`);
    expect(jobOf(config2.workflows[0]?.jobs[0])?.steps.map((s) => (s.type === 'run' ? s.command : s.type))).toEqual([
      'yes',
    ]);
  });
});
