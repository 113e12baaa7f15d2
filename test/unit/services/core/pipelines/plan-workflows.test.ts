import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RESOURCE_CLASSES } from '../../../../../src/services/core/pipeline-config/index.js';
import type { JobSpec } from '../../../../../src/protocol/job-spec.js';
import type { PipelineSummary } from '../../../../../src/services/core/pipelines/pipeline-model.js';
import { planWorkflows } from '../../../../../src/services/core/pipelines/plan-workflows.js';

const pipeline = (overrides: Partial<PipelineSummary> = {}): PipelineSummary => ({
  id: 7,
  projectId: 1,
  number: 3,
  trigger: 'push',
  ref: 'refs/heads/main',
  branch: 'main',
  tag: null,
  sha: 'a'.repeat(40),
  state: 'pending',
  error: null,
  configWarnings: [],
  detail: {},
  createdAt: '',
  updatedAt: '',
  ...overrides,
});
const gitUrl = 'https://git.example.com/acme/web.git';

const config = `version: 2.1
jobs:
  build:
    docker: [{ image: node:24 }]
    steps:
      - checkout
      - run: echo "building << pipeline.git.branch >> at << pipeline.git.revision >> (#<< pipeline.number >>)"
  release:
    docker: [{ image: node:24 }]
    steps: [{ run: echo release }]
workflows:
  main:
    jobs:
      - build:
          filters: { tags: { only: /^v.*/ } }
      - release:
          requires: [build]
          filters: { branches: { ignore: /.*/ }, tags: { only: /^v.*/ } }
`;

describe('planWorkflows', () => {
  it('ends the pipeline with a config error, not a hang, when a filter regex runs out of time', () => {
    const slow = config.replace('filters: { tags: { only: /^v.*/ } }', 'filters: { branches: { only: /(a+)+/ } }');
    const plan = planWorkflows(
      slow,
      pipeline({ ref: `refs/heads/${'a'.repeat(40)}b`, branch: `${'a'.repeat(40)}b` }),
      gitUrl,
      {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
      },
    );
    expect(plan).toMatchObject({
      ok: false,
      error: {
        kind: 'config',
        message: expect.stringMatching(
          /^\.circleci\/config\.yml: the regular expression \/\(a\+\)\+\/ ran longer than 200 ms/,
        ),
      },
    });
  });

  it('plans the jobs that run on a branch, in dependency order, with pipeline values filled in', () => {
    const plan = planWorkflows(config, pipeline(), gitUrl, { resourceClasses: DEFAULT_RESOURCE_CLASSES });
    if (!plan.ok) throw new Error(plan.error.message);
    expect(plan.workflows.map((w) => ({ name: w.name, jobs: w.jobs.map((j) => [j.name, j.requires]) }))).toEqual([
      { name: 'main', jobs: [['build', []]] },
    ]);
    expect(JSON.stringify(plan.workflows[0]!.jobs[0]!.spec)).toContain(`building main at ${'a'.repeat(40)} (#3)`);
  });

  it('plans the release job too for a matching tag', () => {
    const plan = planWorkflows(config, pipeline({ ref: 'refs/tags/v1.0.0', branch: null, tag: 'v1.0.0' }), gitUrl, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
    });
    expect(plan.ok && plan.workflows[0]!.jobs.map((j) => [j.name, j.requires])).toEqual([
      ['build', []],
      ['release', [{ job: 'build', statuses: ['success'] }]],
    ]);
  });

  it('plans nothing for a tag no filter accepts', () => {
    const plan = planWorkflows(config, pipeline({ ref: 'refs/tags/nightly', branch: null, tag: 'nightly' }), gitUrl, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
    });
    expect(plan).toEqual({ ok: true, workflows: [], configSchedules: [], warnings: [] });
  });

  it('keeps quotes in branch names as data', () => {
    const plan = planWorkflows(config, pipeline({ branch: 'fix/"quoted"' }), gitUrl, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
    });
    expect(plan.ok && JSON.stringify(plan.workflows[0]!.jobs[0]!.spec)).toContain('building fix/\\"quoted\\" at');
  });

  it('reports an invalid config with the line and column of every error', () => {
    const plan = planWorkflows('version: 2.1\njobs:\n  build:\n    machine: true\n', pipeline(), gitUrl, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
    });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.error.kind).toBe('config');
    expect(plan.error.message).toMatch(/^\.circleci\/config\.yml has \d+ errors? \(first at line \d+, column \d+: /);
    if (plan.error.kind !== 'config') return;
    expect(plan.error.errors.length).toBeGreaterThan(0);
    for (const e of plan.error.errors) expect(e.line).toBeGreaterThan(0);
  });

  it("keeps the config's warnings with the plan, whether it runs or not", () => {
    const withPorts = config.replace(
      'docker: [{ image: node:24 }]',
      "docker: [{ image: node:24, ports: ['3000:3000'] }]",
    );
    const warning = {
      line: 4,
      column: 32,
      path: 'jobs.build.docker[0].ports',
      message: expect.stringContaining('ports'),
    };
    const plan = planWorkflows(withPorts, pipeline(), gitUrl, { resourceClasses: DEFAULT_RESOURCE_CLASSES });
    expect(plan).toMatchObject({ ok: true, warnings: [warning] });
    const failing = planWorkflows(`${withPorts}  bad: {}\n`, pipeline(), gitUrl, {
      resourceClasses: DEFAULT_RESOURCE_CLASSES,
    });
    expect(failing).toMatchObject({ ok: false, warnings: [warning] });
    expect(planWorkflows(config, pipeline(), gitUrl, { resourceClasses: DEFAULT_RESOURCE_CLASSES }).warnings).toEqual(
      [],
    );
  });

  it('fills pipeline.git.base_revision as CircleCI does: the commit before a push, a pull request base, else empty', () => {
    const echoing = `version: 2.1
jobs:
  diff:
    docker: [{ image: node:24 }]
    steps: [{ run: echo base=<< pipeline.git.base_revision >> }]
workflows:
  main: { jobs: [diff] }
`;
    const base = (overrides: Partial<PipelineSummary>) => {
      const plan = planWorkflows(echoing, pipeline(overrides), gitUrl, { resourceClasses: DEFAULT_RESOURCE_CLASSES });
      return /base=([0-9a-f]*)/.exec(JSON.stringify(plan.ok && plan.workflows[0]!.jobs[0]!.spec))?.[1];
    };
    expect(base({ detail: { before: 'b'.repeat(40) } })).toBe('b'.repeat(40));
    expect(base({ detail: {} })).toBe('');
    expect(base({ trigger: 'pull_request', detail: { pullRequest: { baseSha: 'd'.repeat(40) } } })).toBe(
      'd'.repeat(40),
    );
    expect(base({ trigger: 'api', detail: {} })).toBe('');
  });

  it("decides workflow and step conditions with the pipeline's own values", () => {
    const conditional = `version: 2.1
jobs:
  build:
    docker: [{ image: node:24 }]
    steps:
      - run: make
      - when:
          condition: { equal: [ 3, << pipeline.number >> ] }
          steps: [{ run: echo third }]
workflows:
  release:
    when: { matches: { pattern: "^release/.+$", value: << pipeline.git.branch >> } }
    jobs: [build]
  ci:
    unless: { equal: [ main, << pipeline.git.branch >> ] }
    jobs: [build]
`;
    const planned = (branch: string): string[] => {
      const plan = planWorkflows(conditional, pipeline({ branch, ref: `refs/heads/${branch}` }), gitUrl, {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
      });
      if (!plan.ok) throw new Error(plan.error.message);
      return plan.workflows.map(
        (w) =>
          `${w.name}: ${JSON.stringify((w.jobs[0]!.spec as JobSpec).steps.map((s) => (s.type === 'run' ? s.command : s.type)))}`,
      );
    };
    expect(planned('main')).toEqual([]);
    expect(planned('release/1.2')).toEqual(['release: ["make","echo third"]', 'ci: ["make","echo third"]']);
  });

  it("binds the trigger's pipeline parameters, and fails the pipeline on one the config does not take", () => {
    const withParameters = `version: 2.1
parameters:
  target: { type: enum, enum: [staging, production], default: staging }
  replicas: { type: integer, default: 1 }
jobs:
  deploy:
    docker: [{ image: node:24 }]
    steps: [{ run: ./deploy << pipeline.parameters.target >> x<< pipeline.parameters.replicas >> }]
workflows:
  w:
    jobs: [deploy]
`;
    const plan = (parameters: Record<string, unknown>) =>
      planWorkflows(withParameters, pipeline({ trigger: 'api', detail: { parameters } }), gitUrl, {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
      });
    const planned = plan({ target: 'production', replicas: 3 });
    if (!planned.ok) throw new Error(planned.error.message);
    expect((planned.workflows[0]!.jobs[0]!.spec as JobSpec).steps[0]).toMatchObject({
      command: './deploy production x3',
    });
    const refused = plan({ target: 'moon', replicas: '3', extra: true });
    if (refused.ok || refused.error.kind !== 'config') throw new Error('expected a config error');
    expect(refused.error.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).sort()).toEqual([
      '2:1 parameters.extra: unknown parameter "extra"; the pipeline declares: target, replicas',
      expect.stringMatching(/^2:1 parameters\.replicas: .*integer.*"3"/),
      '2:1 parameters.target: parameter "target" must be one of staging, production, got the string "moon"',
    ]);
  });

  it('runs a workflow with legacy triggers only when its schedule fires it, and lists its schedules for the branch', () => {
    const scheduled = `version: 2
jobs:
  build:
    docker: [{ image: node:24 }]
    steps: [{ run: make }]
  coverage:
    docker: [{ image: node:24 }]
    steps: [{ run: make coverage }]
workflows:
  version: 2
  commit:
    jobs: [build]
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
          filters: { branches: { only: [main, beta] } }
    jobs: [coverage]
`;
    const plan = (overrides: Partial<PipelineSummary>) => {
      const planned = planWorkflows(scheduled, pipeline(overrides), gitUrl, {
        resourceClasses: DEFAULT_RESOURCE_CLASSES,
      });
      if (!planned.ok) throw new Error(planned.error.message);
      return { workflows: planned.workflows.map((w) => w.name), schedules: planned.configSchedules };
    };
    expect(plan({})).toEqual({ workflows: ['commit'], schedules: [{ workflow: 'nightly', cron: '0 0 * * *' }] });
    expect(plan({ branch: 'feature', ref: 'refs/heads/feature' })).toEqual({ workflows: ['commit'], schedules: [] });
    expect(
      plan({ trigger: 'schedule', detail: { schedule: { id: 4, name: 'nightly (main)', workflow: 'nightly' } } }),
    ).toEqual({ workflows: ['nightly'], schedules: [{ workflow: 'nightly', cron: '0 0 * * *' }] });
  });
});
