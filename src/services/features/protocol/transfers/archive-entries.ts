/**
 * Reading what a builder uploaded: a zstd-compressed tar, one entry at a time, so an archive of
 * any size passes through without being held. Only regular files count; a name that would leave
 * the archive's root (`..`, an absolute path) is refused, naming it.
 */
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createZstdDecompress } from 'node:zlib';
import { extract } from 'tar-stream';
import { InvalidInputError } from '../../../../shared/errors.js';

/** Calls `onFile` with each regular file's name and bytes, in order, waiting for it before the next. */
export function eachFile(
  body: Readable,
  onFile: (name: string, content: Readable) => Promise<void>,
  source: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const entries = extract();
    entries.on('entry', (header, entry, next) => {
      const name = posix.normalize(header.name);
      if (header.type !== 'file') {
        entry.on('end', next).resume();
        return;
      }
      if (name.startsWith('/') || name === '..' || name.startsWith('../')) {
        entries.destroy(
          new InvalidInputError(source, [
            { input: header.name, message: 'names a file outside the archive; send paths relative to its root' },
          ]),
        );
        return;
      }
      onFile(name, entry.pipe(new PassThrough())).then(
        () => next(),
        (error: unknown) => entries.destroy(error as Error),
      );
    });
    entries.on('finish', resolve);
    entries.on('error', reject);
    const unzstd = createZstdDecompress();
    unzstd.on('error', (error) =>
      reject(
        new InvalidInputError(source, [{ input: 'body', message: `is not a zstd-compressed tar: ${error.message}` }]),
      ),
    );
    body.on('error', reject);
    body.pipe(unzstd).pipe(entries);
  });
}
