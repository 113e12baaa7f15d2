import { describe, expect, it } from '@jest/globals';
import {
  LoginLimiter,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_LOGIN,
  WINDOW_MS,
} from '../../../../src/services/http/login-limiter.js';

describe('LoginLimiter', () => {
  it('allows 10 wrong passwords for a login within a minute and refuses the 11th attempt', () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < MAX_FAILURES_PER_LOGIN; i++) {
      expect(limiter.allows('Ada', '10.0.0.1')).toBe(true);
      limiter.recordFailure('Ada', `10.0.0.${i}`);
      now += 1000;
    }
    expect(limiter.allows('ada', '10.9.9.9')).toBe(false);
    expect(limiter.retryAfterSeconds('ada', '10.9.9.9')).toBe(50);
  });

  it('allows attempts again once the oldest failures leave the window', () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < MAX_FAILURES_PER_LOGIN; i++) limiter.recordFailure('ada', '10.0.0.1');
    now = WINDOW_MS + 1;
    expect(limiter.allows('ada', '10.0.0.1')).toBe(true);
  });

  it('does not lock out other logins behind the same address until the address limit', () => {
    const limiter = new LoginLimiter(() => 0);
    for (let i = 0; i < MAX_FAILURES_PER_LOGIN; i++) limiter.recordFailure('mallory', '10.0.0.1');
    expect(limiter.allows('bob', '10.0.0.1')).toBe(true);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) limiter.recordFailure(`user-${i}`, '10.0.0.1');
    expect(limiter.allows('bob', '10.0.0.1')).toBe(false);
    expect(limiter.allows('bob', '10.0.0.2')).toBe(true);
  });
});
