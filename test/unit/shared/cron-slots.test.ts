import { describe, expect, it } from '@jest/globals';
import { cronProblem, latestSlot } from '../../../src/shared/cron-slots.js';

const at = (iso: string) => new Date(iso);

describe('cron slots', () => {
  it('takes five-field crontab lines, and says what is wrong with others', () => {
    expect(cronProblem('0 3 * * 1-5')).toBeUndefined();
    expect(cronProblem('*/15 * * JAN,FEB MON')).toBeUndefined();
    expect(cronProblem('* * *')).toMatch(/has 3 fields; a schedule takes five/);
    expect(cronProblem('0 0 * * * *')).toMatch(/has 6 fields/);
    expect(cronProblem('')).toMatch(/has 0 fields/);
    expect(cronProblem('61 * * * *')).toMatch(/not a valid crontab line: .*61/);
    expect(cronProblem('H * * * *')).toMatch(/characters crontab does not take/);
    expect(cronProblem('0 3 * * 1;rm')).toMatch(/characters crontab does not take/);
  });

  it('finds the latest slot in (after, now], in UTC', () => {
    const nightly = '0 3 * * *';
    expect(latestSlot(nightly, at('2026-12-04T03:00:00Z'), at('2026-12-05T02:59:59Z'))).toBeUndefined();
    expect(latestSlot(nightly, at('2026-12-04T03:00:00Z'), at('2026-12-05T03:00:00Z'))).toEqual(
      at('2026-12-05T03:00:00Z'),
    );
    expect(latestSlot(nightly, at('2026-12-05T03:00:00Z'), at('2026-12-05T03:00:30Z'))).toBeUndefined();
  });

  it('catches up with one slot only, the latest, after downtime', () => {
    expect(latestSlot('*/10 * * * *', at('2026-12-01T00:00:00Z'), at('2026-12-05T20:37:00Z'))).toEqual(
      at('2026-12-05T20:30:00Z'),
    );
  });
});
