import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type PipelineConfig,
  type WorkflowJob,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors, jobOf, parseErrors, parseValid } from './helpers.js';

// Jobs with the parameters CircleCI's own matrix examples use.
const JOBS = `version: 2.1
jobs:
  build:
    parameters:
      version: { type: string, default: "0" }
      platform: { type: string, default: linux }
    docker: [{ image: alpine }]
    steps: [run: echo << parameters.platform >> << parameters.version >>]
  deploy:
    parameters:
      version: { type: string, default: "0" }
    docker: [{ image: alpine }]
    steps: [run: deploy << parameters.version >>]
  test:
    parameters:
      a: { type: integer, default: 0 }
      b: { type: integer, default: 0 }
    docker: [{ image: alpine }]
    steps: [run: test << parameters.a >> << parameters.b >>]
workflows:
  w:
    jobs:
`;

function jobsOf(workflowJobs: string): readonly WorkflowJob[] {
  return parseValid(`${JOBS}${workflowJobs}`).workflows[0]?.jobs ?? [];
}

function errorsOf(workflowJobs: string): string[] {
  return formatErrors(parseErrors(`${JOBS}${workflowJobs}`)).split('\n');
}

function commandOf(job: WorkflowJob | undefined): string | undefined {
  const step = jobOf(job)?.steps[0];
  return step?.type === 'run' ? step.command : undefined;
}

describe('matrix jobs', () => {
  it("expands the configuration reference's example into nine jobs, named and ordered as CircleCI names them", () => {
    const jobs = jobsOf(`      - build:
          matrix:
            parameters:
              version: ["0.1", "0.2", "0.3"]
              platform: ["macos", "windows", "linux"]
`);
    // Parameters by name (platform, version), each value in the order written.
    expect(jobs.map((j) => j.name)).toEqual([
      'build-macos-0.1',
      'build-macos-0.2',
      'build-macos-0.3',
      'build-windows-0.1',
      'build-windows-0.2',
      'build-windows-0.3',
      'build-linux-0.1',
      'build-linux-0.2',
      'build-linux-0.3',
    ]);
    expect(jobs.every((j) => j.jobName === 'build')).toBe(true);
    // Each instance gets its own values as arguments.
    expect(commandOf(jobs.find((j) => j.name === 'build-macos-0.2'))).toBe('echo macos 0.2');
  });

  it('leaves out the combinations `exclude` lists, as in the reference (9 - 1 = 8 jobs)', () => {
    const jobs = jobsOf(`      - test:
          matrix:
            parameters: { a: [1, 2, 3], b: [4, 5, 6] }
            exclude:
              - { a: 3, b: 5 }
`);
    expect(jobs).toHaveLength(8);
    expect(jobs.map((j) => j.name)).not.toContain('test-3-5');
    // Integer parameters keep their type through the matrix.
    expect(commandOf(jobs.find((j) => j.name === 'test-2-6'))).toBe('test 2 6');
  });

  it('lets one exclude entry name only some parameters, leaving out every combination it matches', () => {
    const jobs = jobsOf(`      - test:
          matrix:
            parameters: { a: [1, 2], b: [4, 5] }
            exclude: [{ a: 1 }]
`);
    expect(jobs.map((j) => j.name)).toEqual(['test-2-4', 'test-2-5']);
  });

  it('waits for a whole matrix through its alias, by default the job key', () => {
    const jobs = jobsOf(`      - build:
          matrix: { parameters: { version: ["1", "2"] } }
      - test:
          matrix: { parameters: { a: [1, 2] }, alias: unit }
      - deploy:
          requires: [build, unit]
`);
    expect(jobs.find((j) => j.name === 'deploy')?.requires.map((r) => r.job)).toEqual([
      'build-1',
      'build-2',
      'test-1',
      'test-2',
    ]);
  });

  it("fills << matrix.x >> in the invocation's name and requires (the reference's build/deploy pairs)", () => {
    const jobs = jobsOf(`      - build:
          name: build-v<< matrix.version >>
          matrix:
            parameters:
              version: ["0.1", "0.2"]
      - deploy:
          name: deploy-v<< matrix.version >>
          matrix:
            parameters:
              version: ["0.1", "0.2"]
          requires:
            - build-v<< matrix.version >>
`);
    expect(jobs.map((j) => [j.name, j.requires.map((r) => r.job)])).toEqual([
      ['build-v0.1', []],
      ['build-v0.2', []],
      ['deploy-v0.1', ['build-v0.1']],
      ['deploy-v0.2', ['build-v0.2']],
    ]);
    expect(commandOf(jobs[3])).toBe('deploy 0.2');
  });

  it('passes the invocation’s other arguments to every instance', () => {
    const jobs = jobsOf(`      - build:
          platform: windows
          matrix: { parameters: { version: ["1", "2"] } }
`);
    expect(jobs.map((j) => [j.name, commandOf(j)])).toEqual([
      ['build-1', 'echo windows 1'],
      ['build-2', 'echo windows 2'],
    ]);
  });

  it('reports every problem of a matrix at once, each where it is written', () => {
    expect(
      errorsOf(`      - build:
          matrix:
            parameters:
              version: ["1", "2"]
              os: [{ name: linux }]
              platform: []
            exclude:
              - { flavour: vanilla }
            size: large
      - deploy:
          name: deploy-<< matrix.version >>
          matrix: { parameters: { version: ["1"] }, exclude: [{ version: "1" }] }
      - test:
          name: test-<< matrix.a >>
`),
    ).toEqual([
      '27:20 workflows.w.jobs[0].build.matrix.parameters.os[0]: a matrix value must be a string, number or boolean, got a map',
      '28:25 workflows.w.jobs[0].build.matrix.parameters.platform: "platform" lists no values; give at least one',
      '30:19 workflows.w.jobs[0].build.matrix.exclude[0].flavour: "flavour" is not a parameter of this matrix; it has: version, os, platform',
      '31:13 workflows.w.jobs[0].build.matrix.size: unknown key "size" in `matrix`; expected one of: parameters, exclude, alias',
      '34:19 workflows.w.jobs[1].deploy.matrix: `exclude` removes every combination of the matrix, so the job would never run',
      '36:17 workflows.w.jobs[2].test.name: << matrix.a >> can only be used in the options of a workflow job with `matrix:`; inside a job, use << parameters.a >>',
    ]);
  });

  it('reports a matrix parameter the job does not declare, and one also given as an argument, where they are written', () => {
    expect(
      errorsOf(`      - deploy:
          matrix: { parameters: { region: [eu, us] } }
      - build:
          version: "1"
          matrix: { parameters: { version: ["1", "2"] } }
`),
    ).toEqual([
      '24:35 workflows.w.jobs[0].deploy.region: unknown parameter "region"; job "deploy" declares: version',
      '26:11 workflows.w.jobs[1].build.version: "version" is given both here and in `matrix.parameters`; keep one of them',
    ]);
  });

  it('still answers to its alias when it cannot be read, so jobs requiring it are not also reported', () => {
    expect(
      errorsOf(`      - build:
          matrix: { parameters: { version: [] }, alias: builds }
      - deploy: { requires: [builds] }
`),
    ).toEqual([
      '24:44 workflows.w.jobs[0].build.matrix.parameters.version: "version" lists no values; give at least one',
    ]);
  });

  it('needs version 2.1', () => {
    const errors = parseErrors(
      'version: 2\njobs:\n  build: { docker: [{ image: alpine }], steps: [checkout] }\nworkflows:\n  w:\n    jobs:\n      - build: { matrix: { parameters: { v: [1] } } }\n',
    );
    expect(formatErrors(errors)).toContain('7:26 workflows.w.jobs[0].build.matrix: `matrix` needs `version: 2.1`');
  });
});

describe("cider-nrepl's real matrix with a shared exclude list", () => {
  const file = join(import.meta.dirname, '../../../../fixtures/pipeline-configs/large/cider-nrepl-matrix-exclude.yml');
  const [workflow] = parseValid(readFileSync(file, 'utf8')).workflows;
  const jobs = workflow?.jobs ?? [];

  it('expands each of its two 48-combination matrices to 40 jobs, the excluded JDK 8 parser runs left out', () => {
    expect(jobs.map((j) => j.name).filter((n) => n.endsWith('-test'))).toHaveLength(40);
    expect(jobs.map((j) => j.name).filter((n) => n.endsWith('-smoketest'))).toHaveLength(40);
    expect(jobs.map((j) => j.name)).toContain('test_code-1.9-openjdk8-legacy-parser-test');
    expect(jobs.map((j) => j.name)).not.toContain('test_code-1.9-openjdk8-parser-next-test');
    expect(jobs.map((j) => j.name)).not.toContain('test_code-master-openjdk8-parser-smoketest');
  });

  it('has deploy wait for both matrices through their aliases, and for the named lint job', () => {
    const deploy = jobs.find((j) => j.name === 'deploy');
    expect(deploy?.requires).toHaveLength(81);
    expect(deploy?.requires.map((r) => r.job)).toContain('Code Linting');
  });
});

describe('jobs that would share a name', () => {
  it('are numbered -1, -2 in file order, named or not, as CircleCI numbers them', () => {
    const jobs = jobsOf(`      - test: { a: 1 }
      - test: { a: 2 }
      - deploy: { name: release }
      - build: { name: release }
      - deploy: { requires: [test-2, release-1] }
`);
    expect(jobs.map((j) => [j.name, j.requires.map((r) => r.job)])).toEqual([
      ['test-1', []],
      ['test-2', []],
      ['release-1', []],
      ['release-2', []],
      ['deploy', ['test-2', 'release-1']],
    ]);
  });

  it('cannot be required by the name they share, as in CircleCI', () => {
    expect(errorsOf('      - test: { a: 1 }\n      - test: { a: 2 }\n      - deploy: { requires: [test] }\n')).toEqual([
      '25:30 workflows.w.jobs[2].deploy.requires[0]: job "deploy" requires "test", which is the name of 2 jobs of this workflow (test-1 to test-2); give the one to require a unique `name:` and require that',
    ]);
  });
});

describe('workflow job options', () => {
  it('fill the pipeline values they use, as the job body does', () => {
    const result = parsePipelineConfig(
      `${JOBS}      - deploy: { version: "<< pipeline.git.branch >>-<< pipeline.number >>" }\n`,
      {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
        pipelineValues: { 'pipeline.git.branch': 'main', 'pipeline.number': 7 },
      },
    );
    const config: PipelineConfig | undefined = result.ok ? result.config : undefined;
    expect(commandOf(config?.workflows[0]?.jobs[0])).toBe('deploy main-7');
  });
});
