import { describe, expect, it } from '@jest/globals';
import { layoutByDepth } from '../../../../../src/services/features/web/pages/job-graph.js';

const names = (columns: { name: string }[][]) => columns.map((column) => column.map((job) => job.name));

describe('layoutByDepth', () => {
  it('puts jobs without requirements first and each other job right of the deepest one it requires', () => {
    const jobs = [
      { name: 'deploy', requires: ['test', 'lint'] },
      { name: 'build', requires: [] },
      { name: 'lint', requires: [] },
      { name: 'test', requires: ['build'] },
    ];
    expect(names(layoutByDepth(jobs))).toEqual([['build', 'lint'], ['test'], ['deploy']]);
  });

  it('keeps the given order within a column', () => {
    expect(
      names(
        layoutByDepth([
          { name: 'z', requires: [] },
          { name: 'a', requires: [] },
        ]),
      ),
    ).toEqual([['z', 'a']]);
  });

  it('ignores requirements that name no job of the workflow', () => {
    expect(names(layoutByDepth([{ name: 'only', requires: ['gone'] }]))).toEqual([['only']]);
  });

  it('terminates on a cycle instead of looping', () => {
    const columns = layoutByDepth([
      { name: 'a', requires: ['b'] },
      { name: 'b', requires: ['a'] },
    ]);
    expect(
      columns
        .flat()
        .map((job) => job.name)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('draws nothing for a workflow without jobs', () => {
    expect(layoutByDepth([])).toEqual([]);
  });
});
