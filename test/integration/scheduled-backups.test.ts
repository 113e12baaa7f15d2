import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { fileProblems, findBackup } from '../../src/orchestrator/backup/backup-set.js';
import { blobPath } from '../../src/protocol/backup-manifest.js';
import { fileBlobRoot } from '../../src/services/blobs/create-blob-store.js';
import { createS3Client } from '../../src/shared/s3-client.js';
import { FileBlobStore } from '../../src/services/blobs/file-blob-store.js';
import type { Database } from '../../src/services/database/create-pool.js';
import type { BackupDestination } from '../../src/services/features/backup/destinations/backup-destination.js';
import { runDueBackup, type ScheduledBackupDeps } from '../../src/services/features/backup/scheduled-backups.js';
import { scheduledBackupDeps } from '../../src/services/features/backup/start-backup-schedule.js';
import { BackupRuns } from '../../src/services/stores/backup/backup-runs.js';
import { CacheStore } from '../../src/services/stores/caches/cache-store.js';
import { insertProject, projectCaches } from '../support/job-data.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { settingsFrom } from '../support/settings.js';
import { until } from '../support/until.js';

// GIVEN Gyre's PostgreSQL with caches whose blobs are in a file blob store, and the PostgreSQL
// client programs (pg_dump, pg_restore) as the app image has them, WHEN the backup schedule's
// slots come, THEN each slot is backed up once into the data volume's backup set (blobs as hard
// links) or an S3 prefix, read back, and pruned to GYRE_BACKUP_KEEP; `gyre backup verify`'s file
// checks pass on what it wrote; a failing dump is recorded with its reason and leaves nothing.

const logger = pino({ level: 'silent' });
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const at = (time: string) => new Date(`2026-12-07T${time}Z`);

let database: MigratedDatabase;
let db: Database;
let dataDir: string;
let blobs: FileBlobStore;
let projectId: number;
const caches = () => new CacheStore(db);

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  dataDir = await mkdtemp(join(tmpdir(), 'gyre-scheduled-backups-'));
  blobs = new FileBlobStore(fileBlobRoot(dataDir));
  projectId = await insertProject(db, 'acme/web');
}, 180_000);

afterAll(async () => {
  await database?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

function settingsWith(values: Record<string, string>) {
  return settingsFrom({
    GYRE_DATA_DIR: dataDir,
    GYRE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    GYRE_BACKUP_SCHEDULE: '0 * * * *',
    ...values,
  });
}

function depsOf(values: Record<string, string> = {}, databaseUrl = database.database.url) {
  return scheduledBackupDeps(
    { settings: settingsWith(values), db, databaseUrl, runs: new BackupRuns(db), version: '9.9.9-test', logger },
    '0 * * * *',
    at('09:30:00'),
  );
}

/** The schedule's backUp, writing through `destination` instead of the settings' one. */
function backUpWith(destination: BackupDestination): ScheduledBackupDeps['backUp'] {
  return scheduledBackupDeps(
    {
      settings: settingsWith({}),
      db,
      databaseUrl: database.database.url,
      runs: new BackupRuns(db),
      version: '9.9.9-test',
      logger,
    },
    '0 * * * *',
    at('09:30:00'),
    destination,
  ).backUp;
}

async function saveCache(key: string, text: string): Promise<string> {
  const blob = await blobs.put(Readable.from([Buffer.from(text)]));
  await caches().save(projectCaches(projectId), key, blob);
  return blob.digest;
}

const runOf = async (name: string) => (await new BackupRuns(db).recent(100)).find((run) => run.name === name);
const backupsDir = () => join(dataDir, 'backups');

describe('scheduled backups into the data volume', () => {
  let first: { a: string; b: string; orphan: string };

  it('backs up the slot that came: a dump, the blobs its rows name as hard links, read back and verified', async () => {
    // GIVEN a database of some megabytes (more than a pipe holds: the read-back must read it all)
    await db.query(
      `INSERT INTO audit_log (actor, action, target, detail)
       SELECT 'test', 'bulk', NULL, jsonb_build_object('noise',
         (SELECT string_agg(md5(random()::text || n || g), '') FROM generate_series(1, 100) n))
       FROM generate_series(1, 2000) g`,
    );
    // AND the app's settings, which settings.env keeps without its secrets
    process.env['GYRE_HOSTNAME'] = 'backups.example.com';
    process.env['GYRE_ENCRYPTION_KEY'] = ENCRYPTION_KEY;
    // AND two caches, and a blob nothing names
    first = {
      a: await saveCache('deps-a', 'blob A'),
      b: await saveCache('deps-b', 'blob B'),
      orphan: (await blobs.put(Readable.from([Buffer.from('orphan')]))).digest,
    };

    // WHEN the 10:00 slot has come
    const pass = await runDueBackup(depsOf(), at('10:00:30'));

    // THEN it is backed up under its slot's name, and read back
    expect(pass).toEqual({ kind: 'succeeded', id: expect.any(Number), name: '2026-12-07T10-00-00Z' });
    const run = await runOf('2026-12-07T10-00-00Z');
    expect(run).toMatchObject({
      state: 'succeeded',
      destination: backupsDir(),
      gyre: '9.9.9-test',
      blobs: 2,
      blobsAdded: 2,
      verification: 'passed',
    });
    expect(run!.verificationDetail).toMatch(/the dump lists data of all \d+ tables, 2 blobs present/);
    expect(run!.databaseBytes).toBeGreaterThan(2 * 1024 ** 2);
    // The blobs are hard links to the store's files: no second copy on the volume
    for (const digest of [first.a, first.b])
      expect(statSync(join(backupsDir(), blobPath(digest))).ino).toBe(
        statSync(join(fileBlobRoot(dataDir), digest.slice(0, 2), digest)).ino,
      );
    expect(existsSync(join(backupsDir(), blobPath(first.orphan)))).toBe(false);
    // `gyre backup verify` reads it as one of `gyre backup create`'s
    const found = findBackup(backupsDir());
    expect(found.dir).toBe(join(backupsDir(), '2026-12-07T10-00-00Z'));
    expect(found.manifest.tables['caches']).toBe(2);
    expect(await fileProblems(found, () => undefined)).toEqual([]);
    const settingsEnv = await readFile(join(found.dir, 'settings.env'), 'utf8');
    expect(settingsEnv).toMatch(/^GYRE_HOSTNAME=backups\.example\.com$/m);
    expect(settingsEnv).not.toContain(ENCRYPTION_KEY);
    delete process.env['GYRE_HOSTNAME'];
    delete process.env['GYRE_ENCRYPTION_KEY'];
  }, 60_000);

  it('backs up each slot once, adds only new blobs, and keeps GYRE_BACKUP_KEEP backups and their blobs', async () => {
    // GIVEN a pass in the same hour: nothing is due
    expect(await runDueBackup(depsOf(), at('10:20:00'))).toEqual({ kind: 'not-due' });
    // AND cache A is gone (row and blob), and a new cache C is saved
    await db.query('DELETE FROM caches WHERE key = $1', ['deps-a']);
    const c = await saveCache('deps-c', 'blob C');

    // WHEN the 11:00 slot comes, keeping one backup
    const pass = await runDueBackup(depsOf({ GYRE_BACKUP_KEEP: '1' }), at('11:00:10'));

    // THEN only C was added; the 10:00 backup is removed, and with it A, which only it held
    expect(pass).toMatchObject({ kind: 'succeeded', name: '2026-12-07T11-00-00Z' });
    expect(await runOf('2026-12-07T11-00-00Z')).toMatchObject({ blobs: 2, blobsAdded: 1, verification: 'passed' });
    expect(await runOf('2026-12-07T10-00-00Z')).toMatchObject({ state: 'removed' });
    expect((await readdir(backupsDir())).sort()).toEqual(['2026-12-07T11-00-00Z', 'blobs']);
    expect(existsSync(join(backupsDir(), blobPath(first.a)))).toBe(false);
    expect(existsSync(join(backupsDir(), blobPath(first.b)))).toBe(true);
    expect(existsSync(join(backupsDir(), blobPath(c)))).toBe(true);
    expect(await fileProblems(findBackup(backupsDir()), () => undefined)).toEqual([]);
  }, 60_000);

  it('runs one backup per slot when two services processes reach it at once', async () => {
    // WHEN two processes pass at 12:00 together
    const passes = await Promise.all([runDueBackup(depsOf(), at('12:00:05')), runDueBackup(depsOf(), at('12:00:05'))]);

    // THEN one backed it up; the other found it busy or already claimed
    expect(passes.map((pass) => pass.kind).sort()).toEqual([
      expect.stringMatching(/^(busy|claimed-elsewhere)$/),
      'succeeded',
    ]);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM backups WHERE slot = $1', [at('12:00:00')]);
    expect(rows[0]).toEqual({ n: 1 });
  }, 60_000);

  it('records a failing dump with its reason, removes its partial files and keeps the last good backups', async () => {
    // GIVEN pg_dump gets a wrong password
    const wrong = database.database.url.replace('test-password', 'wrong-password');

    // WHEN the 13:00 slot comes
    const pass = await runDueBackup(depsOf({}, wrong), at('13:00:01'));

    // THEN the run failed, saying why, and left nothing behind
    expect(pass).toMatchObject({ kind: 'failed', name: '2026-12-07T13-00-00Z' });
    const run = await runOf('2026-12-07T13-00-00Z');
    expect(run).toMatchObject({ state: 'failed', verification: null });
    expect(run!.error).toMatch(/pg_dump exited with 1: .*password authentication failed/s);
    expect(existsSync(join(backupsDir(), '2026-12-07T13-00-00Z'))).toBe(false);
    expect(existsSync(join(backupsDir(), '2026-12-07T12-00-00Z', 'manifest.json'))).toBe(true);
  }, 60_000);

  it('fails a run whose dump cannot be written, stopping pg_dump, and one that does not read back, removing both', async () => {
    // GIVEN a destination that fails the dump's write after 64 KiB (a full disk)
    const full = { ...depsOf() };
    const writing = full.destination.write.bind(full.destination);
    let cut = 0;
    const failingDisk = Object.create(full.destination) as typeof full.destination;
    failingDisk.write = (path, body) => {
      const disk = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          cut += chunk.length;
          done(cut > 64 * 1024 ? new Error('ENOSPC: no space left on device') : null, chunk);
        },
      });
      // As a file write's pipeline does: the failure destroys what was being written.
      pipeline(body, disk).catch(() => undefined);
      return writing(path, disk);
    };
    const pass = await runDueBackup(
      { ...depsOf(), destination: failingDisk, backUp: backUpWith(failingDisk) },
      at('14:00:10'),
    );

    // THEN it failed saying why, left no folder, and no pg_dump is left waiting to write
    expect(pass).toMatchObject({ kind: 'failed', name: '2026-12-07T14-00-00Z' });
    expect((await runOf('2026-12-07T14-00-00Z'))!.error).toContain('ENOSPC');
    expect(existsSync(join(backupsDir(), '2026-12-07T14-00-00Z'))).toBe(false);
    await until('pg_dump to have gone', async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg_dump'`,
      );
      return rows[0]!.n === 0 ? true : undefined;
    });

    // GIVEN a destination whose dump reads back cut short (a damaged disk)
    const damaged = Object.create(full.destination) as typeof full.destination;
    const reading = full.destination.read.bind(full.destination);
    damaged.read = async (path) => {
      const body = await reading(path);
      if (!path.endsWith('database.pgdump')) return body;
      const bytes: Buffer[] = [];
      for await (const chunk of body) bytes.push(chunk as Buffer);
      return Readable.from([Buffer.concat(bytes).subarray(0, 100_000)]);
    };
    const unread = await runDueBackup(
      { ...depsOf(), destination: damaged, backUp: backUpWith(damaged) },
      at('15:00:00'),
    );

    // THEN it failed as not reading back, and its files are gone
    expect(unread).toMatchObject({ kind: 'failed', name: '2026-12-07T15-00-00Z' });
    expect((await runOf('2026-12-07T15-00-00Z'))!.error).toMatch(
      /^written, but reading it back failed: .*database\.pgdump/,
    );
    expect(existsSync(join(backupsDir(), '2026-12-07T15-00-00Z'))).toBe(false);
  }, 120_000);

  it('settles runs a stopped process left: a whole backup counts, a partial one is failed and removed', async () => {
    // GIVEN a run left `running` with a whole backup (as in the database a restore brought back),
    // and one left with half a folder
    const whole = '2026-12-07T12-00-00Z';
    await db.query(`UPDATE backups SET state = 'running' WHERE name = $1`, [whole]);
    await mkdir(join(backupsDir(), '2026-12-07T15-30-00Z'));
    await writeFile(join(backupsDir(), '2026-12-07T15-30-00Z', 'database.pgdump'), 'half');
    await db.query(`INSERT INTO backups (slot, name, destination) VALUES ($1, '2026-12-07T15-30-00Z', $2)`, [
      at('15:30:00'),
      backupsDir(),
    ]);

    // WHEN the next pass runs
    expect(await runDueBackup(depsOf(), at('15:40:00'))).toEqual({ kind: 'not-due' });

    // THEN the whole one succeeded (without a read-back), the partial one failed and went
    expect(await runOf(whole)).toMatchObject({
      state: 'succeeded',
      verificationDetail: 'finished before its services process stopped; not read back',
    });
    expect(await runOf('2026-12-07T15-30-00Z')).toMatchObject({
      state: 'failed',
      error: 'interrupted: the services process stopped during the backup',
    });
    expect(existsSync(join(backupsDir(), '2026-12-07T15-30-00Z'))).toBe(false);
  }, 60_000);

  it('leaves a backup it does not know alone: no write over it, no pruning of it or of its blobs', async () => {
    // GIVEN a backup in the set the database does not know (an older install's, before a
    // restore), named as the next slot, and another, older one with a blob only it names
    const next = '2026-12-07T16-00-00Z';
    const older = '2026-12-01T00-00-00Z';
    await cp(join(backupsDir(), '2026-12-07T12-00-00Z'), join(backupsDir(), next), { recursive: true });
    await cp(join(backupsDir(), '2026-12-07T12-00-00Z'), join(backupsDir(), older), { recursive: true });
    const lonely = 'ee'.repeat(32);
    await mkdir(join(backupsDir(), 'blobs', 'ee'), { recursive: true });
    await writeFile(join(backupsDir(), blobPath(lonely)), 'only the unknown backup names this');
    const manifestPath = join(backupsDir(), older, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      files: { path: string; size: number; sha256: string }[];
    };
    manifest.files = manifest.files
      .map((file) => ({ ...file, path: file.path.replace('2026-12-07T12-00-00Z', older) }))
      .concat({ path: blobPath(lonely), size: 34, sha256: lonely });
    await writeFile(manifestPath, JSON.stringify(manifest));

    // WHEN the slot of that name comes, then the next, keeping one backup
    expect(await runDueBackup(depsOf(), at('16:00:30'))).toMatchObject({ kind: 'failed', name: next });
    expect((await runOf(next))!.error).toBe(
      `a backup named ${next} is in ${backupsDir()} already; it is left as it is`,
    );
    expect(await runDueBackup(depsOf({ GYRE_BACKUP_KEEP: '1' }), at('17:00:30'))).toMatchObject({ kind: 'succeeded' });

    // THEN both unknown backups and the unknown one's blob are still there; the known older ones went
    const left = (await readdir(backupsDir())).sort();
    expect(left).toEqual([older, next, '2026-12-07T17-00-00Z', 'blobs']);
    expect(existsSync(join(backupsDir(), blobPath(lonely)))).toBe(true);
  }, 60_000);
});

describe('scheduled backups under an S3 prefix', () => {
  let s3: TestS3Server;

  beforeAll(async () => {
    s3 = await startS3Server('gyre-backups');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('uploads the set in the same layout, with the blobs of the file store, so a synced copy verifies', async () => {
    // GIVEN backups into s3://gyre-backups/ci, with the file blob store
    const values = {
      GYRE_BACKUP_DESTINATION: `s3://${s3.bucket}/ci`,
      GYRE_S3_ENDPOINT: s3.endpoint,
      GYRE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      GYRE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      GYRE_S3_FORCE_PATH_STYLE: 'true',
    };

    // WHEN the 18:00 slot comes
    const pass = await runDueBackup(depsOf(values), at('18:00:02'));

    // THEN it is in the bucket, read back
    expect(pass).toMatchObject({ kind: 'succeeded', name: '2026-12-07T18-00-00Z' });
    expect(await runOf('2026-12-07T18-00-00Z')).toMatchObject({
      destination: `s3://${s3.bucket}/ci`,
      blobs: 2,
      blobsAdded: 2,
      verification: 'passed',
    });
    // AND a copy of the prefix (what `aws s3 sync` makes) passes verify's file checks
    const copy = await mkdtemp(join(tmpdir(), 'gyre-s3-copy-'));
    try {
      const client = createS3Client(s3Location(values));
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'ci/' }));
      for (const object of listed.Contents ?? []) {
        const body = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: object.Key! }));
        const path = join(copy, object.Key!.slice('ci/'.length));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await body.Body!.transformToByteArray());
      }
      const found = findBackup(copy);
      expect(found.manifest.files.filter((file) => file.path.startsWith('blobs/'))).toHaveLength(2);
      expect(await fileProblems(found, () => undefined)).toEqual([]);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }

    // AND a second slot uploads no blob again
    expect(await runDueBackup(depsOf(values), at('19:00:02'))).toMatchObject({ kind: 'succeeded' });
    expect(await runOf('2026-12-07T19-00-00Z')).toMatchObject({ blobsAdded: 0, verification: 'passed' });
  }, 60_000);

  function s3Location(values: Record<string, string>) {
    const destination = settingsWith(values).backup.destination;
    if (destination.kind !== 's3') throw new Error('not an S3 destination');
    return destination;
  }
});
