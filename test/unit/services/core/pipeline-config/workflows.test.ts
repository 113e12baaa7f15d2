import { describe, expect, it } from '@jest/globals';
import { jobOf, parseErrors, parseValid } from './helpers.js';

const JOBS = `jobs:
  build: { docker: [{ image: alpine }], steps: [checkout] }
  test: { docker: [{ image: alpine }], steps: [checkout] }
`;

function errorsOf(workflows: string): string[] {
  return parseErrors(`version: 2.1\n${JOBS}workflows:\n${workflows}`).map(
    (e) => `${e.line}:${e.column} ${e.path}: ${e.message}`,
  );
}

describe('workflows', () => {
  it('runs the job named build when there are no workflows, as CircleCI 2.0 does', () => {
    const config = parseValid(`version: 2\n${JOBS}`);
    expect(config.workflows.map((w) => [w.name, w.jobs.map((j) => j.name)])).toEqual([['workflow', ['build']]]);
  });

  it('tolerates the legacy `version: 2` key and lets `name` run one job twice', () => {
    const config = parseValid(
      `version: 2.1\n${JOBS}workflows:\n  version: 2\n  ci:\n    jobs:\n      - build\n      - build: { name: build-again, requires: [build] }\n`,
    );
    expect(config.workflows[0]?.jobs.map((j) => [j.name, j.jobName, j.requires])).toEqual([
      ['build', 'build', []],
      ['build-again', 'build', [{ job: 'build', statuses: ['success'] }]],
    ]);
  });

  it('reports duplicate names, unknown requires and unknown jobs where they are written', () => {
    expect(
      errorsOf(
        '  ci:\n    jobs:\n      - build: { name: build-1 }\n      - test: { name: build }\n      - test: { name: build }\n      - test: { requires: [lint] }\n      - deploy\n',
      ),
    ).toEqual([
      // The two jobs named build are numbered build-1 and build-2, and the first is one too many.
      '9:23 workflows.ci.jobs[1]: duplicate job name "build-1" in this workflow; give one of them a different `name:`',
      // The unknown job is still one of the workflow's, so requires may name it.
      '11:28 workflows.ci.jobs[3].test.requires[0]: "lint" is not a job of this workflow; requires can name: build-1, build-2, deploy',
      '12:9 workflows.ci.jobs[4]: unknown job "deploy"; jobs defined under `jobs:`: build, test',
    ]);
  });

  it("checks an unknown job's options too, and does not report the jobs that require it", () => {
    expect(
      errorsOf(
        '  ci:\n    jobs:\n      - deploy: { requires: [lint], filters: { branches: 5 } }\n      - test: { requires: [deploy] }\n',
      ),
    ).toEqual([
      '8:9 workflows.ci.jobs[0]: unknown job "deploy"; jobs defined under `jobs:`: build, test',
      '8:30 workflows.ci.jobs[0].deploy.requires[0]: "lint" is not a job of this workflow; requires can name: test',
      '8:58 workflows.ci.jobs[0].deploy.filters.branches: expected a map with `only` and/or `ignore`, got the number 5',
    ]);
  });

  it('reports a dependency cycle at the requires entry that closes it', () => {
    expect(
      errorsOf('  ci:\n    jobs:\n      - build: { requires: [test] }\n      - test: { requires: [build] }\n'),
    ).toEqual([
      '9:28 workflows.ci.jobs[1].test.requires[0]: dependency cycle: build → test → build; a job cannot (indirectly) require itself',
    ]);
  });

  it('reads approval jobs: their key needs no definition, and they run nothing', () => {
    const config = parseValid(
      `version: 2.1\n${JOBS}workflows:\n  ci:\n    jobs:\n      - build\n      - hold: { type: approval, requires: [build] }\n      - test: { requires: [hold] }\n`,
    );
    expect(config.workflows[0]?.jobs.map((j) => [j.name, 'approval' in j, j.requires.map((r) => r.job)])).toEqual([
      ['build', false, []],
      ['hold', true, ['build']],
      ['test', false, ['hold']],
    ]);
  });

  it('refuses another type, and parameters or steps on an approval job, where they are written', () => {
    expect(
      errorsOf(
        '  ci:\n    jobs:\n      - build: { type: build }\n      - hold: { type: approval, pre-steps: [checkout], size: 2 }\n',
      ),
    ).toEqual([
      '8:24 workflows.ci.jobs[0].build.type: expected `type: approval` (a job the workflow waits at until someone approves it), got the string "build"; leave `type` out for a job that runs',
      '9:33 workflows.ci.jobs[1].hold.pre-steps: an approval job runs nothing, so it takes no `pre-steps`; remove it, or remove `type: approval` to run job "hold"',
      '9:56 workflows.ci.jobs[1].hold.size: an approval job runs nothing, so it takes no `size`; remove it, or remove `type: approval` to run job "hold"',
    ]);
  });

  it('keeps the contexts of an approval job: they limit who may approve it', () => {
    const config = parseValid(
      `version: 2.1\n${JOBS}workflows:\n  ci:\n    jobs:\n      - hold: { type: approval, context: [deployers] }\n`,
    );
    expect(config.workflows[0]?.jobs[0]).toMatchObject({ name: 'hold', approval: true, contexts: ['deployers'] });
  });

  it('needs version 2.1 for pre-steps', () => {
    const errors = parseErrors(
      `version: 2\n${JOBS}workflows:\n  ci:\n    jobs:\n      - build: { pre-steps: [checkout] }\n`,
    ).map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
    expect(errors).toEqual(['8:29 workflows.ci.jobs[0].build.pre-steps: `pre-steps` needs `version: 2.1`']);
  });

  it('runs `pre-steps` before and `post-steps` after the job’s own steps, reporting their problems in place', () => {
    const config = parseValid(
      `version: 2.1\n${JOBS}workflows:\n  ci:\n    jobs:\n      - build:\n          pre-steps: [run: echo before]\n          post-steps: [run: echo after, { store_artifacts: { path: out } }]\n`,
    );
    expect(jobOf(config.workflows[0]?.jobs[0])?.steps.map((s) => s.type)).toEqual([
      'run',
      'checkout',
      'run',
      'store_artifacts',
    ]);
    expect(errorsOf('  ci:\n    jobs:\n      - build: { pre-steps: [nonsense], post-steps: run }\n')).toEqual([
      expect.stringMatching(/^8:30 workflows\.ci\.jobs\[0\]\.build\.pre-steps\[0\]: unknown step "nonsense"/),
      '8:53 workflows.ci.jobs[0].build.post-steps: expected a list of steps, got the string "run"',
    ]);
  });

  it('reads `context:` as one name or a list, without repeats', () => {
    const config = parseValid(
      `version: 2.1\n${JOBS}workflows:\n  ci:\n    jobs:\n      - build: { context: org-global }\n      - test: { context: [aws, npm, aws] }\n`,
    );
    expect(config.workflows[0]?.jobs.map((j) => [j.name, j.contexts])).toEqual([
      ['build', ['org-global']],
      ['test', ['aws', 'npm']],
    ]);
  });

  it('refuses a context that is not a name', () => {
    expect(
      errorsOf('  ci:\n    jobs:\n      - build: { context: [aws, ""] }\n      - test: { context: { a: 1 } }\n'),
    ).toEqual([
      '8:33 workflows.ci.jobs[0].build.context[1]: must not be empty',
      '9:26 workflows.ci.jobs[1].test.context: expected a string, got a map',
    ]);
  });

  it('reads legacy schedule triggers: a crontab line in UTC and the branches they run on', () => {
    const config = parseValid(
      `version: 2\n${JOBS}workflows:\n  nightly:\n    triggers:\n      - schedule:\n          cron: "0 0 * * *"\n          filters: { branches: { only: [main, /release-.*/] } }\n    jobs: [build]\n`,
    );
    expect(config.workflows[0]?.schedules).toEqual([
      {
        cron: '0 0 * * *',
        branches: {
          only: [
            { kind: 'exact', value: 'main' },
            { kind: 'regex', source: 'release-.*' },
          ],
        },
      },
    ]);
  });

  it('reports every problem of a schedule trigger at its place', () => {
    expect(
      errorsOf(
        '  nightly:\n    triggers:\n      - schedule: { cron: "0 0 * *", filters: { branches: { only: main } } }\n      - schedule: { cron: "0 0 * * *" }\n      - schedule: { cron: "0 0 * * *", filters: { tags: { only: v1 } } }\n      - cron: "0 0 * * *"\n    jobs: [build]\n  empty:\n    triggers: []\n    jobs: [build]\n',
      ),
    ).toEqual([
      '8:27 workflows.nightly.triggers[0].schedule.cron: "0 0 * *" has 4 fields; a schedule takes five: minute hour day-of-month month day-of-week, e.g. "0 3 * * 1-5"',
      '9:19 workflows.nightly.triggers[1].schedule: a schedule needs `filters: { branches: { only: [main] } }`: the branches it runs on',
      '10:49 workflows.nightly.triggers[2].schedule.filters: a schedule needs `filters: { branches: ... }`: the branches it runs on',
      '11:9 workflows.nightly.triggers[3]: a trigger needs `schedule:` with `cron` and `filters`',
      '11:9 workflows.nightly.triggers[3].cron: unknown key "cron" in a trigger; expected one of: schedule',
      '14:15 workflows.empty.triggers: expected a non-empty list of triggers (`- schedule: ...`), got a list',
    ]);
  });

  it('requires a non-empty jobs list', () => {
    expect(errorsOf('  ci:\n    jobs: []\n')).toEqual([
      '7:11 workflows.ci.jobs: workflow "ci" needs `jobs:`, a non-empty list of job names',
    ]);
  });
});

describe('the top level', () => {
  it.each([
    ['version: 3\njobs: {}\n', '1:10 version: unsupported version 3; Gyre reads CircleCI config version 2 and 2.1'],
    ['jobs: {}\n', '1:1 version: the config needs `version: 2.1` (or `version: 2`) at the top'],
    ['version: 2.1\nsetup: true\n', '2:1 setup: dynamic configuration (`setup: true`) is not supported yet'],
    [
      'version: 2.1\nworkflow: {}\n',
      '2:1 workflow: unknown top-level key "workflow"; expected one of: version, jobs, workflows, orbs, commands, executors, parameters, setup',
    ],
    ['version: 2.1\n', '1:1 jobs: the config needs `jobs:`, a map of job names to jobs'],
    ['version: 2.1\njobs: {}\n', '2:7 jobs: `jobs:` defines no job; add at least one'],
  ])('explains %j', (text, expected) => {
    expect(parseErrors(text).map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toContain(expected);
  });
});
