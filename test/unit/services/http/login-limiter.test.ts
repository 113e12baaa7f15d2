import { describe, expect, it } from '@jest/globals';
import {
  LoginLimiter,
  MAX_FAILURES_PER_ACCOUNT,
  MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  MAX_FAILURES_PER_ADDRESS,
  WINDOW_MS,
  type Attempt,
} from '../../../../src/services/http/login-limiter.js';

const attempt = (login: string, address: string, listener = 'user'): Attempt => ({ listener, login, address });

describe('LoginLimiter', () => {
  it('allows 10 wrong passwords for an account from one address within a minute and refuses the 11th attempt', () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) {
      expect(limiter.allows(attempt('Ada', '10.0.0.1'))).toBe(true);
      limiter.recordFailure(attempt('Ada', '10.0.0.1'));
      now += 1000;
    }
    expect(limiter.allows(attempt('ada', '10.0.0.1'))).toBe(false);
    expect(limiter.retryAfterSeconds(attempt('ada', '10.0.0.1'))).toBe(50);
  });

  it("does not lock the account's owner out from another address, until many addresses guess", () => {
    const limiter = new LoginLimiter(() => 0);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) limiter.recordFailure(attempt('ada', '10.0.0.1'));
    expect(limiter.allows(attempt('ada', '10.0.0.1'))).toBe(false);
    expect(limiter.allows(attempt('ada', '192.168.1.5'))).toBe(true);
    for (let i = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i < MAX_FAILURES_PER_ACCOUNT; i++)
      limiter.recordFailure(attempt('ada', `10.1.${i}.1`));
    expect(limiter.allows(attempt('ada', '192.168.1.5'))).toBe(false);
  });

  it('allows attempts again once the oldest failures leave the window', () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) limiter.recordFailure(attempt('ada', '10.0.0.1'));
    now = WINDOW_MS + 1;
    expect(limiter.allows(attempt('ada', '10.0.0.1'))).toBe(true);
  });

  it('does not lock out other accounts behind the same address until the address limit', () => {
    const limiter = new LoginLimiter(() => 0);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++)
      limiter.recordFailure(attempt('mallory', '10.0.0.1'));
    expect(limiter.allows(attempt('bob', '10.0.0.1'))).toBe(true);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) limiter.recordFailure(attempt(`user-${i}`, '10.0.0.1'));
    expect(limiter.allows(attempt('bob', '10.0.0.1'))).toBe(false);
    expect(limiter.allows(attempt('bob', '10.0.0.2'))).toBe(true);
  });

  it('keeps each listener apart: guessing on the user port never locks the admin console', () => {
    const limiter = new LoginLimiter(() => 0);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) limiter.recordFailure(attempt(`user-${i}`, '10.0.0.1'));
    expect(limiter.allows(attempt('admin', '10.0.0.1', 'user'))).toBe(false);
    expect(limiter.allows(attempt('admin', '10.0.0.1', 'admin'))).toBe(true);
  });
});
