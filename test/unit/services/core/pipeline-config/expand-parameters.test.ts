import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type RunStep,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors, jobOf, parseErrors, parseValid } from './helpers.js';

function runSteps(text: string): RunStep[] {
  const steps = jobOf(parseValid(text).workflows[0]?.jobs[0])?.steps ?? [];
  return steps.filter((s): s is RunStep => s.type === 'run');
}

describe('parameter substitution', () => {
  it('substitutes job parameters inside strings and keeps types when a value stands alone', () => {
    const steps = runSteps(`version: 2.1
jobs:
  build:
    parameters:
      target: { type: string, default: all }
      verbose: { type: boolean, default: true }
      bg: { type: boolean, default: false }
    docker: [{ image: alpine }]
    steps:
      - run: { command: "make << parameters.target >> V=<< parameters.verbose >>", background: << parameters.bg >> }
workflows:
  w:
    jobs: [{ build: { target: dist } }]
`);
    expect(steps[0]).toMatchObject({ command: 'make dist V=true', background: false });
  });

  it('splices a steps parameter into the list where it is used', () => {
    const steps = runSteps(`version: 2.1
commands:
  around:
    parameters:
      inner: { type: steps }
    steps:
      - run: echo before
      - << parameters.inner >>
      - run: echo after
jobs:
  build:
    docker: [{ image: alpine }]
    steps:
      - around:
          inner:
            - run: echo one
            - run: echo two
workflows:
  w:
    jobs: [build]
`);
    expect(steps.map((s) => s.command)).toEqual(['echo before', 'echo one', 'echo two', 'echo after']);
  });

  it('substitutes pipeline parameter defaults, and the pipeline values when it is given them', () => {
    const text = `version: 2.1
parameters:
  deploy-env: { type: enum, enum: [staging, production], default: staging }
jobs:
  build:
    docker: [{ image: alpine }]
    steps:
      - run: ./deploy << pipeline.parameters.deploy-env >> << pipeline.git.revision >> build-<< pipeline.number >>
workflows:
  w:
    jobs: [build]
`;
    expect(runSteps(text)[0]?.command).toBe('./deploy staging << pipeline.git.revision >> build-<< pipeline.number >>');
    const withValues = parsePipelineConfig(text, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
      pipelineValues: { 'pipeline.git.revision': 'abc123', 'pipeline.number': 42 },
    });
    if (!withValues.ok) throw new Error(formatErrors(withValues.errors));
    expect(jobOf(withValues.config.workflows[0]?.jobs[0])?.steps[0]).toMatchObject({
      command: './deploy staging abc123 build-42',
    });
  });

  it('leaves shell heredocs and other << >> text alone', () => {
    const steps = runSteps(`version: 2.1
jobs:
  build:
    docker: [{ image: alpine }]
    steps:
      - run: cat << EOF >> out.txt
workflows:
  w:
    jobs: [build]
`);
    expect(steps[0]?.command).toBe('cat << EOF >> out.txt');
  });

  it('does not substitute anything in a version 2 config, which has no parameters', () => {
    const config = parseValid(
      'version: 2\njobs:\n  build:\n    docker: [{ image: alpine }]\n    steps: [{ run: "echo << parameters.x >>" }]\n',
    );
    expect(jobOf(config.workflows[0]?.jobs[0])?.steps[0]).toMatchObject({ command: 'echo << parameters.x >>' });
  });

  it('reports unknown parameters and pipeline values at the scalar that names them', () => {
    const errors = parseErrors(`version: 2.1
jobs:
  build:
    parameters:
      a: { type: string, default: x }
    docker: [{ image: alpine }]
    steps:
      - run: echo << parameters.b >>
      - run: echo << pipeline.git.commit >>
      - run: echo << matrix.os >>
workflows:
  w:
    jobs: [build]
`);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual([
      '8:14 jobs.build.steps[0].run: unknown parameter << parameters.b >>; job "build" declares: a',
      expect.stringMatching(
        /^9:14 jobs.build.steps\[1\].run: unknown pipeline value << pipeline.git.commit >>; known: pipeline.id, /,
      ),
      '10:14 jobs.build.steps[2].run: << matrix.os >> can only be used in the options of a workflow job with `matrix:`; inside a job, use << parameters.os >>',
    ]);
  });

  it('refuses a list-valued parameter inside a larger string', () => {
    const errors = parseErrors(`version: 2.1
commands:
  c:
    parameters:
      s: { type: steps, default: [] }
    steps:
      - run: echo << parameters.s >> here
jobs:
  build:
    docker: [{ image: alpine }]
    steps: [c]
workflows:
  w:
    jobs: [build]
`);
    expect(errors[0]).toMatchObject({
      line: 7,
      column: 14,
      message: '<< parameters.s >> holds a list or map and must be the whole value, not part of a string',
    });
  });

  it('checks argument types, unknown arguments and missing required parameters', () => {
    const errors = parseErrors(`version: 2.1
jobs:
  build:
    parameters:
      n: { type: integer }
      flag: { type: boolean, default: false }
      var: { type: env_var_name, default: TOKEN }
      kind: { type: colour }
    docker: [{ image: alpine }]
    steps: [checkout]
workflows:
  w:
    jobs:
      - build: { n: 1.5, flag: "yes", extra: 1 }
      - build: { name: other, var: "not a name" }
`);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual([
      '8:21 jobs.build.parameters.kind.type: unknown parameter type "colour"; expected one of: string, boolean, integer, enum, steps, executor, env_var_name',
      '14:21 workflows.w.jobs[0].build.n: parameter "n" is an integer, got the number 1.5',
      '14:32 workflows.w.jobs[0].build.flag: parameter "flag" is a boolean (true or false), got the string "yes"',
      '14:39 workflows.w.jobs[0].build.extra: unknown parameter "extra"; job "build" declares: n, flag, var',
      '15:9 workflows.w.jobs[1].build: job "build" needs a value for parameter "n" (integer), which has no default',
      '15:36 workflows.w.jobs[1].build.var: parameter "var" is an environment variable name, got the string "not a name"',
    ]);
  });
});
