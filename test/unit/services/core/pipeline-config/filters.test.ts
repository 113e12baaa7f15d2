import { describe, expect, it } from '@jest/globals';
import {
  matchesRef,
  selectJobsForRef,
  type GitRef,
  type JobFilters,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { parseErrors, parseValid } from './helpers.js';

const branch = (name: string): GitRef => ({ kind: 'branch', name });
const tag = (name: string): GitRef => ({ kind: 'tag', name });

describe('branch and tag filters', () => {
  it('runs a job without filters on every branch and on no tag', () => {
    expect(matchesRef({}, branch('main'))).toBe(true);
    expect(matchesRef({}, branch('feature/x'))).toBe(true);
    expect(matchesRef({}, tag('v1.0.0'))).toBe(false);
  });

  it('runs on tags only when a tags filter says so', () => {
    const filters: JobFilters = { tags: { only: [{ kind: 'regex', source: '^v\\d+\\.\\d+\\.\\d+$' }] } };
    expect(matchesRef(filters, tag('v1.2.3'))).toBe(true);
    expect(matchesRef(filters, tag('v1.2'))).toBe(false);
    expect(matchesRef(filters, branch('main'))).toBe(true);
  });

  it('requires a regex to match the whole ref name, as CircleCI does', () => {
    const filters: JobFilters = { branches: { only: [{ kind: 'regex', source: 'release' }] } };
    expect(matchesRef(filters, branch('release'))).toBe(true);
    expect(matchesRef(filters, branch('release/1.0'))).toBe(false);
    expect(matchesRef(filters, branch('pre-release'))).toBe(false);
  });

  it('lets ignore win over only', () => {
    const filters: JobFilters = {
      branches: { only: [{ kind: 'regex', source: 'release/.*' }], ignore: [{ kind: 'exact', value: 'release/old' }] },
    };
    expect(matchesRef(filters, branch('release/new'))).toBe(true);
    expect(matchesRef(filters, branch('release/old'))).toBe(false);
  });

  it('treats ignore-only tag filters as "every tag but these"', () => {
    expect(matchesRef({ tags: { ignore: [{ kind: 'regex', source: '.*-rc\\d*' }] } }, tag('v2.0.0'))).toBe(true);
    expect(matchesRef({ tags: { ignore: [{ kind: 'regex', source: '.*-rc\\d*' }] } }, tag('v2.0.0-rc1'))).toBe(false);
  });

  it('matches exact names literally, so dots and slashes are not patterns', () => {
    expect(matchesRef({ branches: { only: [{ kind: 'exact', value: 'v1.0' }] } }, branch('v1x0'))).toBe(false);
  });
});

describe('selecting the workflow jobs for a ref', () => {
  const config = parseValid(`version: 2.1
jobs:
  test: { docker: [{ image: alpine }], steps: [checkout] }
  build: { docker: [{ image: alpine }], steps: [checkout] }
  release: { docker: [{ image: alpine }], steps: [checkout] }
  docs: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  ci:
    jobs:
      - test:
          filters: { tags: { only: /.*/ } }
      - build:
          requires: [test]
      - release:
          requires: [test]
          filters: { tags: { only: /^v.*/ }, branches: { ignore: /.*/ } }
      - docs:
          requires: [build]
          filters: { branches: { only: main } }
  nightly:
    jobs:
      - docs:
          filters: { branches: { only: [main, develop] } }
`);

  const names = (ref: GitRef): Record<string, string[]> =>
    Object.fromEntries(selectJobsForRef(config, ref).map((w) => [w.name, w.jobs.map((j) => j.name)]));

  it('runs branch jobs on main, including docs downstream of build', () => {
    expect(names(branch('main'))).toEqual({ ci: ['test', 'build', 'docs'], nightly: ['docs'] });
  });

  it('drops workflows that end up with no job', () => {
    expect(names(branch('feature/login'))).toEqual({ ci: ['test', 'build'] });
  });

  it('runs only tag-enabled jobs for a release tag', () => {
    expect(names(tag('v3.1.0'))).toEqual({ ci: ['test', 'release'] });
  });

  it('skips a job whose only required job was filtered out, and the jobs requiring it', () => {
    expect(names(tag('nightly-2024'))).toEqual({ ci: ['test'] });
  });
});

describe('reading filters from YAML', () => {
  it('accepts a single string or a list, and tells exact names from /regex/', () => {
    const config = parseValid(`version: 2.1
jobs:
  a: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  w:
    jobs:
      - a:
          filters:
            branches: { only: main, ignore: [/wip-.*/, scratch] }
`);
    expect(config.workflows[0]?.jobs[0]?.filters).toEqual({
      branches: {
        only: [{ kind: 'exact', value: 'main' }],
        ignore: [
          { kind: 'regex', source: 'wip-.*' },
          { kind: 'exact', value: 'scratch' },
        ],
      },
    });
  });

  it('reports broken regexes, empty lists and unknown keys where they are written', () => {
    const errors = parseErrors(`version: 2.1
jobs:
  a: { docker: [{ image: alpine }], steps: [checkout] }
workflows:
  w:
    jobs:
      - a:
          filters:
            branches: { only: "/(unclosed/", ignore: [] }
            tags: { except: v1 }
            pull_requests: true
`);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual([
      '9:31 workflows.w.jobs[0].a.filters.branches.only',
      '9:54 workflows.w.jobs[0].a.filters.branches.ignore',
      '10:21 workflows.w.jobs[0].a.filters.tags.except',
      '11:13 workflows.w.jobs[0].a.filters.pull_requests',
    ]);
    expect(errors[0]?.message).toBe('invalid regular expression /(unclosed/: Unterminated group');
  });
});
