import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { planVerify, type VerifyPlan } from '../../src/orchestrator/backup/verify-backup.js';
import type { Manifest } from '../../src/protocol/backup-manifest.js';
import { createS3Client, type S3Connection } from '../../src/shared/s3-client.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';

// GIVEN a backup of an install whose blobs are in an S3 bucket (its manifest lists them as
// staying there), and an S3-compatible server, WHEN `gyre backup verify` runs its checks up to the
// bucket's, THEN it asks the bucket for each listed blob and names those missing or of another
// size; without the .env's S3 settings it says the check was skipped and why.

const NAME = '2026-12-07T09-30-00Z';
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');
const sizeOf = (text: string) => Buffer.byteLength(text);

let s3: TestS3Server;
let connection: S3Connection;
let set: string;

beforeAll(async () => {
  s3 = await startS3Server('gyre-blobs');
  connection = { ...S3RVER_CREDENTIALS, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
  const client = createS3Client(connection);
  for (const text of ['kept blob', 'shrunk blob'])
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `ci/${digestOf(text)}`,
        Body: text === 'shrunk blob' ? 'shrunk' : text,
      }),
    );
  client.destroy();
  set = backupSetListing(['kept blob', 'shrunk blob', 'deleted blob']);
});

afterAll(async () => {
  await s3?.stop();
  if (set) rmSync(set, { recursive: true, force: true });
});

/** A backup set on disk whose manifest leaves these blobs in s3://gyre-blobs/ci. */
function backupSetListing(texts: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gyre-bucket-set-'));
  mkdirSync(join(dir, NAME));
  const dump = 'not a real dump';
  writeFileSync(join(dir, NAME, 'database.pgdump'), dump);
  const manifest: Manifest = {
    format: 1,
    createdAt: '2026-12-07T09:30:00.000Z',
    gyre: '0.1.0',
    schema: 29,
    postgres: '15.18',
    keyCheck: 'c2VhbGVk',
    database: { user: 'gyre', name: 'gyre' },
    blobStore: { kind: 's3', bucket: 'gyre-blobs', prefix: 'ci', endpoint: 'http://127.0.0.1:1' },
    tables: {},
    files: [{ path: `${NAME}/database.pgdump`, size: sizeOf(dump), sha256: digestOf(dump) }],
    bucketBlobs: texts.map((text) => ({ digest: digestOf(text), size: sizeOf(text) })),
  };
  writeFileSync(join(dir, NAME, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** Points the backup's manifest at an S3 endpoint (the manifest's wins over the .env's). */
function pointManifestAt(endpoint: string): void {
  const path = join(set, NAME, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (manifest.blobStore.kind !== 's3') throw new Error('not an S3 store backup');
  writeFileSync(path, JSON.stringify({ ...manifest, blobStore: { ...manifest.blobStore, endpoint } }));
}

/** Runs verify's checks up to the bucket's (reading, files, bucket), not the scratch database. */
async function checksUpToBucket(plan: VerifyPlan) {
  for (const task of plan.tasks.slice(0, 3)) await task.run(() => undefined);
  await plan.close();
  return plan.result().checks;
}

describe("verify of an S3 store's backup", () => {
  it('names each listed blob the bucket lacks or holds with another size', async () => {
    pointManifestAt(s3.endpoint);

    const checks = await checksUpToBucket(
      planVerify({ path: set, images: { app: 'unused', db: 'unused' }, s3: connection }),
    );

    expect(checks.find((c) => c.check === 'bucket')).toEqual({
      check: 'bucket',
      ok: false,
      detail: '2 of 3 blobs are not in s3://gyre-blobs/ci as the backup names them',
      problems: [
        `s3://gyre-blobs/ci/${digestOf('deleted blob')}: missing`,
        `s3://gyre-blobs/ci/${digestOf('shrunk blob')}: 6 bytes, the manifest says 11`,
      ].sort(),
    });
  });

  it('says the bucket check was skipped without the S3 settings', async () => {
    const checks = await checksUpToBucket(planVerify({ path: set, images: { app: 'unused', db: 'unused' } }));
    expect(checks.find((c) => c.check === 'bucket')).toMatchObject({
      ok: true,
      skipped: true,
      detail: 'skipped: 3 blobs are in s3://gyre-blobs/ci; set GYRE_S3_* in .env to have them checked',
    });
  });

  it('fails the check, saying so, when the bucket does not answer', async () => {
    pointManifestAt('http://127.0.0.1:1');
    const checks = await checksUpToBucket(
      planVerify({ path: set, images: { app: 'unused', db: 'unused' }, s3: connection }),
    );
    expect(checks.find((c) => c.check === 'bucket')).toMatchObject({
      ok: false,
      detail: 's3://gyre-blobs/ci does not answer',
      problems: [expect.stringMatching(/ECONNREFUSED|connect/)],
    });
  });
});
