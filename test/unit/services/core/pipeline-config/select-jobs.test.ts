import { describe, expect, it } from '@jest/globals';
import { selectJobsForRef, type GitRef } from '../../../../../src/services/core/pipeline-config/index.js';
import { parseValid } from './helpers.js';

const branch = (name: string): GitRef => ({ kind: 'branch', name });

// GIVEN lint on every branch, build only on main, and jobs requiring them in every combination
const config = parseValid(`version: 2.1
jobs:
  j: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  ci:
    jobs:
      - j: { name: lint }
      - j: { name: build, filters: { branches: { only: main } } }
      - j: { name: publish, requires: [lint, build] }
      - j: { name: package, requires: [build] }
      - j: { name: sign, requires: [package] }
      - j: { name: report, requires: [sign, lint] }
      - j: { name: on-build-failure, requires: [{ build: failed }] }
      - j: { name: cleanup, requires: [{ lint: terminal }, { build: failed }] }
`);

/** Each job that runs with the names it still requires (and their statuses, when not success). */
const planned = (ref: GitRef) =>
  Object.fromEntries(
    (selectJobsForRef(config, ref)[0]?.jobs ?? []).map((j) => [
      j.name,
      j.requires.map((r) => (r.statuses.join() === 'success' ? r.job : `${r.job}: ${r.statuses.join('|')}`)),
    ]),
  );

describe('requirements that are filtered out', () => {
  it('are all kept when every job runs', () => {
    expect(planned(branch('main'))).toEqual({
      lint: [],
      build: [],
      publish: ['lint', 'build'],
      package: ['build'],
      sign: ['package'],
      report: ['sign', 'lint'],
      'on-build-failure': ['build: failed'],
      cleanup: ['lint: success|failed|canceled|unauthorized|not_run', 'build: failed'],
    });
  });

  it('are ignored, as CircleCI ignores them: a job runs on what is left, down the chain', () => {
    // build is filtered out on a feature branch: publish waits for lint alone; package and sign
    // require nothing else, so they do not run; report is left with lint; on-build-failure
    // required build alone; cleanup keeps its lint requirement, whatever statuses the dropped one listed.
    expect(planned(branch('feature'))).toEqual({
      lint: [],
      publish: ['lint'],
      report: ['lint'],
      cleanup: ['lint: success|failed|canceled|unauthorized|not_run'],
    });
  });
});
