/**
 * Tar streams as tar-stream reads and writes them, wrapped as Node streams that carry their
 * failures: the engine's archive API speaks tar, on builders and to the services box alike.
 */
import { PassThrough, type Readable } from 'node:stream';
import { extract, type ExtractEvents, type Header, type Pack } from 'tar-stream';

/** An entry's body, as tar-stream gives it: a readable stream that is also async-iterable. */
export type EntryBody = ExtractEvents['entry'][1];

/**
 * Calls `visit` with every entry of `tar`, in order, and moves to the next once the entry's body
 * has ended (what `visit` leaves unread is skipped). Rejects when the tar or `visit` fails.
 */
export function eachEntry(
  tar: Readable,
  visit: (header: Header, body: EntryBody) => void | Promise<void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const entries = extract();
    entries.on('entry', (header, body, next) => {
      const ended = new Promise<void>((done) => body.once('end', () => done()));
      Promise.resolve(visit(header, body))
        .then(() => {
          body.resume();
          return ended;
        })
        .then(
          () => next(),
          (error: unknown) => entries.destroy(error as Error),
        );
    });
    entries.on('finish', resolve);
    entries.on('error', (error) => {
      // The source (an engine's archive answer) would otherwise stay open, unread.
      tar.destroy();
      reject(error);
    });
    tar.on('error', reject);
    tar.pipe(entries);
  });
}

/** tar-stream's packer as a Node stream, its failure included. */
export function nodeStream(out: Pack): Readable {
  const through = new PassThrough();
  out.on('error', (error: Error) => through.destroy(error));
  return out.pipe(through);
}
