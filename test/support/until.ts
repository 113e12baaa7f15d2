import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `read` until it gives a value, and returns that value; throws once `timeoutMs` has passed
 * without one, saying what it waited for: "timed out after 20000 ms waiting for <what>".
 *
 * Why polling: what the tests wait for happens in its own time (a reaper pass, a webhook
 * delivered, a process answering, a container removed). Looking again and again ends the wait as
 * soon as it shows, on a fast machine as on a slow one; a fixed sleep is too long on the one, too
 * short on the other, and proves nothing when it is too short.
 * Why one helper: the suite had a dozen copies that differed in small ways (truthy or defined,
 * whether a last look happened at the timeout, the error message); one copy keeps them equal.
 *
 * `undefined` and `false` mean "not yet"; anything else is the value, `null`, `0` and `''`
 * included. So a boolean check resolves to `true`, and a lookup such as `list.find(…)` or
 * `statuses[1]` resolves to what it found. (No call site waits for `null`, `0` or `''`; counting
 * them as values keeps a read that legitimately ends there from hanging until the timeout.)
 *
 * `read` runs at once, then `intervalMs` after each look ends, and a last time at the timeout, so
 * a condition that holds by then is not missed. An error thrown by `read` is not retried: it ends
 * the wait at once, so a read that fails fast (say, a pipeline in an unexpected state) fails the
 * test fast. A read whose failures mean "not yet" (a server still starting) catches them itself.
 * The error on timeout has no last value to show, as every look gave `undefined` or `false`;
 * a caller that wants the state it last saw in the message puts it there itself.
 *
 * Defaults: 60 s timeout, a look every 100 ms.
 */
export async function until<T>(
  what: string,
  read: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(Math.min(intervalMs, left));
  }
}
