/**
 * The PostgreSQL client programs scheduled backups run in the app container (Debian's
 * postgresql-client, of the bundled server's major version): `pg_dump` of an exported snapshot,
 * and `pg_restore` turning a dump back into its SQL script, which reads every block of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface DatabaseDumpTools {
  /**
   * The custom-format dump of the snapshot `snapshot`. The stream fails if pg_dump does; destroying
   * it (its reader failed) stops pg_dump, so no dump is left holding a connection.
   */
  dump(snapshot: string, signal: AbortSignal): Readable;
  /**
   * Reads the whole dump as a restore would; resolves to the tables whose data it holds, or fails
   * saying why it cannot be read. `dump` is read to its end either way.
   */
  tablesIn(dump: Readable, signal: AbortSignal): Promise<string[]>;
}

/** The last bytes of a program's stderr kept for its error message. */
const STDERR_KEPT = 4_096;
/** pg_dump gives up on a table it cannot lock within this, rather than wait behind a migration for ever. */
const LOCK_WAIT_TIMEOUT = '5min';
/** A table's data in pg_restore's script: `-- Data for Name: jobs; Type: TABLE DATA; Schema: public; Owner: gyre`. */
const TABLE_DATA = /^-- Data for Name: ([^;]+); Type: TABLE DATA; Schema: public;/;

export class PostgresTools implements DatabaseDumpTools {
  /** `url`: the database, as the services app connects to it. */
  constructor(private readonly url: string) {}

  dump(snapshot: string, signal: AbortSignal): Readable {
    const out = new PassThrough();
    const child = spawn(
      'pg_dump',
      [
        '--format=custom',
        `--snapshot=${snapshot}`,
        `--lock-wait-timeout=${LOCK_WAIT_TIMEOUT}`,
        '--no-password',
        `--dbname=${conninfoOf(this.url)}`,
      ],
      { env: { ...process.env, PGPASSWORD: passwordOf(this.url) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    signal.addEventListener('abort', () => out.destroy(signal.reason as Error), { once: true });
    const stderr = tail(child.stderr);
    // Ended only once pg_dump has exited 0: a dump cut short by a failure must not look complete.
    child.stdout.pipe(out, { end: false });
    child.once('error', (error) => out.destroy(missingProgram(error, 'pg_dump')));
    child.once('close', (code) => {
      if (code === 0) out.end();
      else out.destroy(new Error(`pg_dump exited with ${code}: ${stderr().trim() || 'no message'}`));
    });
    // Its reader gave up (a full disk, S3 refused): pg_dump would block on its next write, with
    // its transaction open, for as long as the process lives.
    out.once('close', () => stopIfRunning(child));
    return out;
  }

  async tablesIn(dump: Readable, signal: AbortSignal): Promise<string[]> {
    // To a file (stdout) instead of a database, pg_restore writes the SQL script: it must read and decompress every
    // data block, which --list (the table of contents only) would not.
    const child = spawn('pg_restore', ['--file=-'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const stderr = tail(child.stderr);
    const tables: string[] = [];
    const script = createInterface({ input: child.stdout });
    script.on('line', (line) => {
      const table = TABLE_DATA.exec(line)?.[1];
      if (table !== undefined) tables.push(table.replace(/^"(.*)"$/, '$1'));
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(missingProgram(error, 'pg_restore')));
      child.once('close', resolve);
    });
    // pg_restore stopping early (a damaged dump) is for its exit code to say, not an EPIPE here.
    child.stdin.on('error', () => undefined);
    dump.pipe(child.stdin);
    let code: number | null;
    try {
      code = await exited;
    } finally {
      dump.unpipe(child.stdin);
      if (signal.aborted) dump.destroy();
      else {
        // Read to the end, so that whoever hashes the stream on its way sees all of it.
        dump.resume();
        await finished(dump).catch(() => undefined);
      }
    }
    if (code !== 0) throw new Error(`pg_restore exited with ${code}: ${stderr().trim() || 'no message'}`);
    return tables;
  }
}

function stopIfRunning(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill();
}

/**
 * libpq's connection string for `url` without its password (which goes in PGPASSWORD, so it is in
 * no command line), with TCP keepalives: a database host that vanishes mid-dump is noticed within
 * a minute or so, not after the system's two hours.
 */
function conninfoOf(url: string): string {
  const parsed = new URL(url);
  const value = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return [
    `host=${value(parsed.hostname)}`,
    `port=${value(parsed.port || '5432')}`,
    `user=${value(decodeURIComponent(parsed.username))}`,
    `dbname=${value(decodeURIComponent(parsed.pathname.slice(1)))}`,
    'connect_timeout=10 keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3',
  ].join(' ');
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
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
