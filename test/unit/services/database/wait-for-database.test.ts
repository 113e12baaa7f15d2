import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Database } from '../../../../src/services/database/create-pool.js';
import { waitForDatabase } from '../../../../src/services/database/wait-for-database.js';
import { InvalidInputError, TimeoutError } from '../../../../src/shared/errors.js';

/** A pool whose queries fail with the given errors, in turn, and then answer. */
function poolFailingWith(...errors: Error[]): Database & { tries: number } {
  const pool = {
    tries: 0,
    query() {
      const error = errors[pool.tries++];
      return error ? Promise.reject(error) : Promise.resolve({ rows: [] });
    },
  };
  return pool as unknown as Database & { tries: number };
}

/** An error as node-postgres raises it for a server's ErrorResponse: message and SQLSTATE `code`. */
function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const quiet = pino({ level: 'silent' });

describe('waitForDatabase', () => {
  it('tries again while the database starts up, then answers', async () => {
    const pool = poolFailingWith(
      Object.assign(new Error('connect ECONNREFUSED 172.18.0.2:5432'), { code: 'ECONNREFUSED' }),
      pgError('the database system is starting up', '57P03'),
    );

    await waitForDatabase(pool, quiet, 10_000, 'GYRE_DB_PASSWORD');

    expect(pool.tries).toBe(3);
  });

  it('fails at once when the bundled database refuses the password, naming the setting and the old volume', async () => {
    const pool = poolFailingWith(pgError('password authentication failed for user "gyre"', '28P01'));

    const failure = waitForDatabase(pool, quiet, 60_000, 'GYRE_DB_PASSWORD');

    await expect(failure).rejects.toThrow(InvalidInputError);
    await expect(failure).rejects.toThrow(
      'GYRE_DB_PASSWORD: is refused by the database (password authentication failed for user "gyre")',
    );
    await expect(failure).rejects.toThrow('gyre down --volumes');
    expect(pool.tries).toBe(1);
  });

  it('names GYRE_DATABASE_URL when an external database refuses the password', async () => {
    const pool = poolFailingWith(pgError('password authentication failed for user "ci"', '28P01'));

    await expect(waitForDatabase(pool, quiet, 60_000, 'GYRE_DATABASE_URL')).rejects.toThrow(
      /GYRE_DATABASE_URL: is refused by the database .*\n.*fix: put the database user's password in GYRE_DATABASE_URL/,
    );
  });

  it('gives up after the deadline with the last error', async () => {
    const pool = poolFailingWith(Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }));

    await expect(waitForDatabase(pool, quiet, 500, 'GYRE_DB_PASSWORD')).rejects.toThrow(TimeoutError);
    expect(pool.tries).toBe(1);
  });
});
