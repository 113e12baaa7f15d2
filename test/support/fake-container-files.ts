import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';

/** A folder, or a file's bytes. */
export type FakeNode = 'dir' | Buffer;

/**
 * One container's file system as the engine's archive API shows it: `archive(path)` gives a tar
 * whose names start with the path's last component, `unpack(at, tar)` writes a tar's entries
 * under `at`. Paths are absolute; parent folders are implied.
 */
export class FakeContainerFiles {
  readonly nodes = new Map<string, FakeNode>();

  write(path: string, content: string | Buffer): void {
    this.nodes.set(path, typeof content === 'string' ? Buffer.from(content) : content);
  }

  read(path: string): string | undefined {
    const node = this.nodes.get(path);
    return node instanceof Buffer ? node.toString('utf8') : undefined;
  }

  has(path: string): boolean {
    return path === '/' || this.nodes.has(path) || [...this.nodes.keys()].some((p) => p.startsWith(`${path}/`));
  }

  /** The files under `path` (or `path` itself), sorted. */
  filesUnder(path: string): string[] {
    return [...this.nodes]
      .filter(([p, node]) => node !== 'dir' && (p === path || p.startsWith(`${path}/`)))
      .map(([p]) => p)
      .sort();
  }

  archive(path: string): Readable {
    const out = pack();
    const base = posix.basename(path);
    const below = [...this.nodes]
      .filter(([p]) => p === path || p.startsWith(`${path}/`))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (!this.nodes.has(path)) out.entry({ name: base, type: 'directory' });
    for (const [p, node] of below) {
      const name = base + p.slice(path.length);
      if (node === 'dir') out.entry({ name, type: 'directory' });
      else out.entry({ name, type: 'file', size: node.length }, node);
    }
    out.finalize();
    return out.pipe(new PassThrough());
  }

  unpack(at: string, tar: Readable): Promise<void> {
    return new Promise((resolve, reject) => {
      const entries = extract();
      entries.on('entry', (header, body, next) => {
        const path = posix.join(at, header.name).replace(/\/$/, '');
        const chunks: Buffer[] = [];
        body.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
        body.on('end', () => {
          this.nodes.set(path, header.type === 'directory' ? 'dir' : Buffer.concat(chunks));
          next();
        });
      });
      entries.on('finish', resolve);
      entries.on('error', reject);
      tar.on('error', reject);
      tar.pipe(entries);
    });
  }
}
