import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { RequestRefusedError } from '../../src/builder/agent/protocol-client.js';
import {
  BLOB_DIGEST_HEADER,
  BLOB_SIZE_HEADER,
  BLOB_UPLOAD_HEADER,
  leaseTokenOf,
  type JobLease,
} from '../../src/protocol/index.js';
import type { BlobStore, StoredBlob } from '../../src/services/blobs/blob-store.js';
import { createBlobStore } from '../../src/services/blobs/create-blob-store.js';
import { createS3Client } from '../../src/shared/s3-client.js';
import { filesInArchive } from '../support/fake-transfers.js';
import { archiveBytes, LeasingBuilder } from '../support/leased-transfers.js';
import { s3SettingsOf, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the services app with an S3 blob store (s3rver, in process) whose puts are counted, and the
// agent's real transfer client, WHEN it saves caches and workspace layers, THEN their bytes go to
// the bucket directly and the services box only checks them; artifacts still come through it.

const PREFIX = 'gyre';
/** GYRE_CACHE_MAX_SIZE for these tests (4K), so that one test can go over it. */
const CACHE_LIMIT = 4096;

let s3: TestS3Server;
let bucket: S3Client;
let gyre: ServicesUnderTest;
let builder: LeasingBuilder;
let projectId: number;
/** Every blob that came through the services box (`put`), rather than straight to the bucket. */
const putThroughServices: StoredBlob[] = [];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The S3 store behind the services box, with its puts counted. */
function countingPuts(store: BlobStore): BlobStore {
  return {
    takesDirectUploads: store.takesDirectUploads,
    put: async (body, options) => {
      const blob = await store.put(body, options);
      putThroughServices.push(blob);
      return blob;
    },
    get: (digest, range) => store.get(digest, range),
    stat: (digest) => store.stat(digest),
    delete: (digest) => store.delete(digest),
    list: () => store.list(),
    downloadUrl: (digest, expiresInS) => store.downloadUrl(digest, expiresInS),
    uploadUrl: (digest, size, expiresInS) => store.uploadUrl(digest, size, expiresInS),
    commitUpload: (upload, expected) => store.commitUpload(upload, expected),
  };
}

/** The keys under the store's prefix: blobs, and staging objects under `uploads/`. */
async function keysInBucket(): Promise<string[]> {
  const page = await bucket.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${PREFIX}/` }));
  return (page.Contents ?? []).map((object) => object.Key!.slice(PREFIX.length + 1)).sort();
}

async function leaseOne(name: string): Promise<JobLease> {
  return (await builder.leaseWorkflow(projectId, [{ name }])).lease(name);
}

beforeAll(async () => {
  s3 = await startS3Server();
  const settings = s3SettingsOf(s3, PREFIX);
  bucket = createS3Client(settings);
  gyre = await startServicesUnderTest({
    blobs: countingPuts(createBlobStore(settings, '/nonexistent')),
    settings: { GYRE_CACHE_MAX_SIZE: '4K' },
  });
  builder = await LeasingBuilder.register(gyre);
  projectId = await builder.createProject('acme/direct');
}, 180_000);

afterEach(async () => {
  await builder.endLeases();
  putThroughServices.splice(0);
});

afterAll(async () => {
  await builder?.close();
  await gyre?.stop();
  bucket?.destroy();
  await s3?.stop();
}, 60_000);

describe('caches and workspace layers', () => {
  it('saves a cache straight to the bucket, and gives it back from there', async () => {
    const transfers = builder.transfersOf(await leaseOne('build'));
    const bytes = await archiveBytes({ 'root/.npm/a.txt': 'cached' });
    expect(await transfers.uploadCache('npm-v1-direct', Readable.from([bytes]))).toBe('saved');
    // THEN no byte came through the services box, the blob is at its digest, and no staging object is left
    expect(putThroughServices).toEqual([]);
    expect(await keysInBucket()).toContain(sha256(bytes));
    expect((await keysInBucket()).filter((key) => key.startsWith('uploads/'))).toEqual([]);
    expect(await transfers.findCache(['npm-v1-'])).toEqual({ key: 'npm-v1-direct', size: bytes.length });
    expect(await buffer(await transfers.downloadCache('npm-v1-direct'))).toEqual(bytes);
    expect(await transfers.uploadCache('npm-v1-direct', Readable.from([await archiveBytes({ b: 'x' })]))).toBe(
      'exists',
    );
    expect(putThroughServices).toEqual([]);
  });

  it('persists a workspace layer straight to the bucket for the downstream job', async () => {
    const { lease } = await builder.leaseWorkflow(projectId, [
      { name: 'compile' },
      { name: 'check', requires: ['compile'] },
    ]);
    const compile = await lease('compile');
    const bytes = await archiveBytes({ 'dist/app.js': 'bundle' });
    await builder.transfersOf(compile).uploadWorkspaceLayer(Readable.from([bytes]));
    expect(putThroughServices).toEqual([]);
    await builder.complete(compile);
    const check = builder.transfersOf(await lease('check'));
    expect(await check.workspaceLayers()).toEqual([{ job: 'compile', digest: sha256(bytes), size: bytes.length }]);
    const files = await filesInArchive(await buffer(await check.downloadWorkspaceLayer(sha256(bytes))));
    expect(files).toEqual(new Map([['dist/app.js', 'bundle']]));
  });

  it('refuses a cache over the limit before a byte is uploaded, naming the limit', async () => {
    const transfers = builder.transfersOf(await leaseOne('big'));
    const before = await keysInBucket();
    const refused = transfers.uploadCache('too-big', Readable.from([randomBytes(CACHE_LIMIT + 1)]));
    await expect(refused).rejects.toThrow(
      /POST \/jobs\/\d+\/uploads was answered 413: the cache is over the size limit of 4 KiB \(GYRE_CACHE_MAX_SIZE\)/,
    );
    expect(await keysInBucket()).toEqual(before);
    expect(putThroughServices).toEqual([]);
    expect(await transfers.findCache(['too-big'])).toBeUndefined();
  });

  it('keeps artifacts coming through the services box, one blob per file', async () => {
    const transfers = builder.transfersOf(await leaseOne('package'));
    const stored = await transfers.uploadArtifacts(
      Readable.from([await archiveBytes({ 'a.txt': 'a', 'b.txt': 'bb' })]),
    );
    expect(stored).toEqual({ files: 2, bytes: 3 });
    expect(putThroughServices.map((blob) => blob.size).sort()).toEqual([1, 2]);
  });
});

describe('an upload that is not what it was announced as', () => {
  /** Asks for a target for `announced`, PUTs `sent` there, then names the upload to the cache's PUT route. */
  async function uploadAs(lease: JobLease, key: string, announced: Buffer, sent: Buffer): Promise<void> {
    const { client } = builder;
    const token = leaseTokenOf(lease);
    const digest = sha256(announced);
    const target = await client.uploadTarget(lease.jobId, { ...token, kind: 'cache', digest, size: announced.length });
    if (target.url === null) throw new Error('the S3 store gave no upload URL');
    const put = await fetch(target.url, { method: 'PUT', headers: target.headers, body: sent });
    expect(put.status).toBe(200);
    return await client.upload(`/jobs/${lease.jobId}/caches/${key}`, token, undefined, undefined, {
      [BLOB_DIGEST_HEADER]: digest,
      [BLOB_SIZE_HEADER]: String(announced.length),
      [BLOB_UPLOAD_HEADER]: target.upload,
    });
  }

  // s3rver ignores the sha256 signed into the URL (S3 would refuse the PUT itself): the services
  // box's check of the staged bytes is what refuses them here.
  it('refuses bytes that do not hash to the announced digest, and keeps neither blob nor row', async () => {
    const lease = await leaseOne('liar');
    const announced = Buffer.from('the cache the builder announced');
    const sent = Buffer.from('THE cache the builder announced');
    await expect(uploadAs(lease, 'forged', announced, sent)).rejects.toThrow(
      new RegExp(`answered 400: .*bytes hash to ${sha256(sent)}, not to the digest ${sha256(announced)}`, 's'),
    );
    expect(await keysInBucket()).not.toContain(sha256(announced));
    expect((await keysInBucket()).filter((key) => key.startsWith('uploads/'))).toEqual([]);
    expect(await builder.transfersOf(lease).findCache(['forged'])).toBeUndefined();
  });

  it('refuses bytes of another size than announced', async () => {
    const lease = await leaseOne('short');
    const announced = Buffer.from('a cache of some length');
    await expect(uploadAs(lease, 'short', announced, announced.subarray(1))).rejects.toThrow(
      `it holds ${announced.length - 1} bytes, not the ${announced.length} announced`,
    );
  });

  it('refuses an upload that was never sent, and a half-named one', async () => {
    const lease = await leaseOne('ghost');
    const token = leaseTokenOf(lease);
    const headers = { [BLOB_DIGEST_HEADER]: 'a'.repeat(64), [BLOB_SIZE_HEADER]: '10' };
    const put = (extra: Record<string, string>) =>
      builder.client.upload(`/jobs/${lease.jobId}/caches/ghost`, token, undefined, undefined, { ...headers, ...extra });
    await expect(put({ [BLOB_UPLOAD_HEADER]: randomUUID() })).rejects.toThrow(
      /answered 400: .*no bytes were uploaded/s,
    );
    await expect(put({})).rejects.toThrow(RequestRefusedError);
    await expect(put({})).rejects.toThrow(/1 of the three headers naming a direct upload are missing/);
  });
});
