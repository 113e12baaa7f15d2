/**
 * The PostgreSQL client programs scheduled backups run in the app container (Debian's
 * postgresql-client, of the bundled server's major version): `pg_dump` of an exported snapshot,
 * and `pg_restore --list`, which reads a dump's whole table of contents back.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface DatabaseDumpTools {
  /** The custom-format dump of the snapshot `snapshot`; the stream fails if pg_dump does. */
  dump(snapshot: string): Readable;
  /** The tables whose data the dump holds (`TABLE DATA` entries), or a failure saying why it cannot be read. */
  tablesIn(dump: Readable): Promise<string[]>;
}

/** The last bytes of a program's stderr kept for its error message. */
const STDERR_KEPT = 4_096;

export class PostgresTools implements DatabaseDumpTools {
  /** `url`: the database, as the services app connects to it. */
  constructor(private readonly url: string) {}

  dump(snapshot: string): Readable {
    const out = new PassThrough();
    const child = spawn('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, '--no-password'], {
      env: { ...process.env, ...connectionEnv(this.url) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr = tail(child.stderr);
    // Ended only once pg_dump has exited 0: a dump cut short by a failure must not look complete.
    child.stdout.pipe(out, { end: false });
    child.once('error', (error) => out.destroy(missingProgram(error, 'pg_dump')));
    child.once('close', (code) => {
      if (code === 0) out.end();
      else out.destroy(new Error(`pg_dump exited with ${code}: ${stderr().trim() || 'no message'}`));
    });
    return out;
  }

  async tablesIn(dump: Readable): Promise<string[]> {
    const child = spawn('pg_restore', ['--list'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = tail(child.stderr);
    const listing: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => listing.push(chunk));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(missingProgram(error, 'pg_restore')));
      child.once('close', resolve);
    });
    // pg_restore may stop reading early on a damaged dump; its exit code says why, not EPIPE.
    await pipeline(dump, child.stdin).catch(() => undefined);
    const code = await exited;
    if (code !== 0) throw new Error(`pg_restore --list exited with ${code}: ${stderr().trim() || 'no message'}`);
    // Lines such as `215; 0 16390 TABLE DATA public jobs gyre`.
    return Buffer.concat(listing)
      .toString('utf8')
      .split('\n')
      .map((line) => /^\d+; \d+ \d+ TABLE DATA public (\S+) /.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
  }
}

/** libpq's variables for `url`, so that the password is in no command line. */
function connectionEnv(url: string): Record<string, string> {
  const parsed = new URL(url);
  return {
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

function tail(stream: Readable): () => string {
  let kept = '';
  stream.on('data', (chunk: Buffer) => {
    kept = (kept + chunk.toString('utf8')).slice(-STDERR_KEPT);
  });
  return () => kept;
}

function missingProgram(error: Error, program: string): Error {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? new Error(
        `${program} is not installed in the app image: rebuild the images with this Gyre (\`gyre images build\`)`,
      )
    : error;
}
