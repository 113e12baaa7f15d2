/**
 * Cron slots, in UTC, as CircleCI reads schedules (project schedules, and scheduled backups): five POSIX crontab fields
 * (minute, hour, day of month, month, day of week), parsed by cron-parser.
 */
import { CronExpressionParser } from 'cron-parser';

/** Why `cron` is not a five-field crontab line, or undefined when it is one. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === '')
    return `"${cron}" has ${fields[0] === '' ? 0 : fields.length} fields; a schedule takes five: minute hour day-of-month month day-of-week, e.g. "0 3 * * 1-5"`;
  if (fields.some((field) => /[^\d*,/\-A-Za-z]/.test(field) || /^H|[^A-Za-z]H/.test(field)))
    return `"${cron}" holds characters crontab does not take; use digits, names (MON, JAN), *, ranges (1-5), lists (1,15) and steps (*/10)`;
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
    return undefined;
  } catch (error) {
    return `"${cron}" is not a valid crontab line: ${(error as Error).message}`;
  }
}

/**
 * The latest slot in (`after`, `now`], or undefined when none fell in it. Only the latest: after
 * downtime a schedule catches up with one run, not one per missed slot.
 */
export function latestSlot(cron: string, after: Date, now: Date): Date | undefined {
  // cron-parser's prev() is strictly before its current date; a slot exactly at `now` is due.
  const slot = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(now.getTime() + 1) })
    .prev()
    .toDate();
  return slot > after ? slot : undefined;
}

/** The first slot after `now`. */
export function nextSlot(cron: string, now: Date): Date {
  return CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: now }).next().toDate();
}
