import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createHash } from 'node:crypto';
import { zstdDecompressSync } from 'node:zlib';
import { extract } from 'tar-stream';
import type {
  DataTransfers,
  FoundCache,
  TestResultsReceipt,
  WorkspaceLayer,
} from '../../src/builder/runner/data-steps/transfers.js';

/** The names and contents of the files in a zstd-compressed tar. */
export async function filesInArchive(archive: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries = extract();
  const done = new Promise<void>((resolve, reject) => {
    entries.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
      body.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    entries.on('finish', resolve);
    entries.on('error', reject);
  });
  entries.end(zstdDecompressSync(archive));
  await done;
  return files;
}

/**
 * The services box's side of the data steps, in memory, with CircleCI's cache lookup (exact key,
 * else the newest by prefix, key by key) and immutable keys. Archives are kept as sent.
 */
export class FakeTransfers implements DataTransfers {
  /** Caches in the order they were saved. */
  readonly caches: { key: string; archive: Buffer }[] = [];
  readonly layers: (WorkspaceLayer & { archive: Buffer })[] = [];
  /** What this job uploaded as its own layer. */
  readonly uploadedLayers: Buffer[] = [];
  readonly artifacts: Buffer[] = [];
  readonly testResults: Buffer[] = [];
  receipt: TestResultsReceipt = { tests: 0, failures: 0, warnings: [] };

  findCache(keys: readonly string[]): Promise<FoundCache | undefined> {
    for (const key of keys) {
      const found =
        this.caches.find((c) => c.key === key) ?? [...this.caches].reverse().find((c) => c.key.startsWith(key));
      if (found) return Promise.resolve({ key: found.key, size: found.archive.length });
    }
    return Promise.resolve(undefined);
  }

  downloadCache(key: string): Promise<Readable> {
    return Promise.resolve(Readable.from([this.caches.find((c) => c.key === key)!.archive]));
  }

  async uploadCache(key: string, body: Readable): Promise<'saved' | 'exists'> {
    const archive = await buffer(body);
    if (this.caches.some((c) => c.key === key)) return 'exists';
    this.caches.push({ key, archive });
    return 'saved';
  }

  async uploadWorkspaceLayer(body: Readable): Promise<void> {
    this.uploadedLayers.push(await buffer(body));
  }

  /** Adds an upstream job's layer, as if it had persisted it. */
  addLayer(job: string, archive: Buffer): void {
    const digest = createHash('sha256').update(archive).digest('hex');
    this.layers.push({ job, digest, size: archive.length, archive });
  }

  workspaceLayers(): Promise<readonly WorkspaceLayer[]> {
    return Promise.resolve(this.layers.map(({ job, digest, size }) => ({ job, digest, size })));
  }

  downloadWorkspaceLayer(digest: string): Promise<Readable> {
    return Promise.resolve(Readable.from([this.layers.find((l) => l.digest === digest)!.archive]));
  }

  async uploadArtifacts(body: Readable): Promise<{ files: number; bytes: number }> {
    const archive = await buffer(body);
    this.artifacts.push(archive);
    const files = await filesInArchive(archive);
    return { files: files.size, bytes: [...files.values()].reduce((n, text) => n + Buffer.byteLength(text), 0) };
  }

  async uploadTestResults(body: Readable): Promise<TestResultsReceipt> {
    this.testResults.push(await buffer(body));
    return this.receipt;
  }
}
