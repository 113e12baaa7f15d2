import { describe, expect, it } from '@jest/globals';
import { takeContiguous } from '../../../../../src/services/core/logs/contiguous-run.js';

const key = (step: number, seq: number, bytes = 10) => ({ step, seq, bytes });

describe('takeContiguous', () => {
  it('takes chunks up to the first gap in a step', () => {
    const run = takeContiguous({ step: 0, seq: 0 }, [key(0, 0), key(0, 1), key(0, 3)], 1000, []);
    expect(run.chunks).toEqual([key(0, 0), key(0, 1)]);
    expect(run.cursor).toEqual({ step: 0, seq: 2 });
  });

  it('moves on to a later step at its seq 0, also past steps without output', () => {
    const run = takeContiguous({ step: 0, seq: 2 }, [key(2, 0), key(2, 1)], 1000, []);
    expect(run.cursor).toEqual({ step: 2, seq: 2 });
  });

  it('does not move on while the current step has a gap', () => {
    expect(takeContiguous({ step: 0, seq: 1 }, [key(0, 2), key(1, 0)], 1000, []).chunks).toEqual([]);
    expect(takeContiguous({ step: 0, seq: 1 }, [key(1, 1)], 1000, []).chunks).toEqual([]);
  });

  it('does not leave a step that is still open, however much of later steps is stored', () => {
    expect(takeContiguous({ step: 1, seq: 2 }, [key(2, 0), key(2, 1)], 1000, [1]).chunks).toEqual([]);
    expect(takeContiguous({ step: 1, seq: 2 }, [key(3, 0)], 1000, [2]).chunks).toEqual([]);
    expect(takeContiguous({ step: 1, seq: 0 }, [key(1, 0), key(2, 0)], 1000, [1]).chunks).toEqual([key(1, 0)]);
    // Open steps at or after the one it moves to do not hold it back.
    expect(takeContiguous({ step: 1, seq: 2 }, [key(2, 0), key(2, 1)], 1000, [2, 3]).cursor).toEqual({
      step: 2,
      seq: 2,
    });
  });

  it('stops at the byte budget but always takes one chunk', () => {
    expect(takeContiguous({ step: 0, seq: 0 }, [key(0, 0, 50), key(0, 1, 50)], 60, []).chunks).toHaveLength(1);
    expect(takeContiguous({ step: 0, seq: 0 }, [key(0, 0, 500)], 60, []).chunks).toHaveLength(1);
  });
});
