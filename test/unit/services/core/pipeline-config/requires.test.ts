import { describe, expect, it } from '@jest/globals';
import { parseErrors, parseValid } from './helpers.js';

const JOBS = `jobs:
  build: { docker: [{ image: alpine }], steps: [checkout] }
  test: { docker: [{ image: alpine }], steps: [checkout] }
  notify: { docker: [{ image: alpine }], steps: [checkout] }
`;

const config = (workflow: string) => `version: 2.1\n${JOBS}workflows:\n  ci:\n    jobs:\n${workflow}`;

const requiresOf = (workflow: string) =>
  Object.fromEntries(parseValid(config(workflow)).workflows[0]!.jobs.map((j) => [j.name, j.requires]));

const errorsOf = (workflow: string) =>
  parseErrors(config(workflow)).map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);

describe('requires', () => {
  it('reads each form of the configuration reference: a name, a name with a status, with a list, and terminal', () => {
    const requires = requiresOf(`      - build
      - test:
          requires: [build]
      - notify:
          requires:
            - build: failed
            - test:
              - failed
              - success
              - failed
      - notify:
          name: cleanup
          requires:
            - build: terminal
            - test:
`);
    expect(requires).toEqual({
      build: [],
      test: [{ job: 'build', statuses: ['success'] }],
      // Statuses in CircleCI's order, each once.
      notify: [
        { job: 'build', statuses: ['failed'] },
        { job: 'test', statuses: ['success', 'failed'] },
      ],
      // `terminal` is every end state; a name without a value is `success`.
      cleanup: [
        { job: 'build', statuses: ['success', 'failed', 'canceled', 'unauthorized', 'not_run'] },
        { job: 'test', statuses: ['success'] },
      ],
    });
  });

  it('reads several jobs in one map, and a repeated name asking for the same statuses once', () => {
    expect(
      requiresOf(
        '      - build\n      - test\n      - notify: { requires: [{ build: canceled, test: canceled }, { build: canceled }] }\n',
      ).notify,
    ).toEqual([
      { job: 'build', statuses: ['canceled'] },
      { job: 'test', statuses: ['canceled'] },
    ]);
  });

  it('reports every malformed entry at once, where it is written', () => {
    expect(
      errorsOf(`      - build
      - test
      - notify:
          requires:
            - build: fail
            - test: []
            - 3
            - build: [success, { a: 1 }]
`),
    ).toEqual([
      '13:22 workflows.ci.jobs[2].notify.requires[0].build: unknown job status "fail"; expected one of success, failed, canceled, unauthorized, not_run, or terminal for any of them',
      '14:21 workflows.ci.jobs[2].notify.requires[1].test: expected a status or a non-empty list of them: one of success, failed, canceled, unauthorized, not_run, or terminal for any of them',
      '15:15 workflows.ci.jobs[2].notify.requires[2]: expected a job name, or a map of job name to status, e.g. `- build` or `- build: failed`; got the number 3',
      '16:32 workflows.ci.jobs[2].notify.requires[3].build[1]: expected a job status (one of success, failed, canceled, unauthorized, not_run, or terminal for any of them); got a map',
    ]);
  });

  it('refuses a job required twice with different statuses, suggesting one entry with both', () => {
    expect(errorsOf('      - build\n      - notify: { requires: [build, { build: failed }] }\n')).toEqual([
      '10:39 workflows.ci.jobs[1].notify.requires[1]: "build" is required twice with different statuses (success and failed); list it once with every status it may end in, e.g. `build: [success, failed]`',
    ]);
  });

  it('refuses a requires that is not a list, and checks required names with the rest of the graph', () => {
    expect(
      errorsOf('      - build\n      - test: { requires: build }\n      - notify: { requires: [{ lint: failed }] }\n'),
    ).toEqual([
      '10:27 workflows.ci.jobs[1].test.requires: expected a list of job names, e.g. `requires: [build]` or `requires: [{ build: failed }]`',
      '11:32 workflows.ci.jobs[2].notify.requires[0]: "lint" is not a job of this workflow; requires can name: build, test',
    ]);
  });

  it('says how to write a status when one is written after the name, as in `- build failed`', () => {
    expect(errorsOf('      - build\n      - notify: { requires: [build failed] }\n')).toEqual([
      '10:30 workflows.ci.jobs[1].notify.requires[0]: "build failed" is not a job of this workflow; requires can name: build. To require a status of "build", write `- build: failed`',
    ]);
  });
});
