/**
 * Reads the headers by which a cache's or workspace layer's PUT names a direct upload (see
 * src/protocol/transfer-messages.ts): all three with an empty body, or none with the archive as
 * the body. Half of them, or a body as well, is a builder out of step, refused with what to send.
 */
import type { z } from 'zod';
import {
  BLOB_DIGEST_HEADER,
  BLOB_SIZE_HEADER,
  BLOB_UPLOAD_HEADER,
  type uploadedBlobHeadersSchema,
} from '../../../../protocol/index.js';
import { InvalidInputError } from '../../../../shared/errors.js';
import type { StoredBlob } from '../../../blobs/blob-store.js';

/**
 * The direct upload a PUT's headers name, or undefined when they name none (the body holds the
 * bytes). Naming one takes all three headers and an empty body.
 */
export function announcedUpload(
  headers: z.infer<typeof uploadedBlobHeadersSchema>,
  hasBody: boolean,
): (StoredBlob & { upload: string }) | undefined {
  const digest = headers[BLOB_DIGEST_HEADER];
  const size = headers[BLOB_SIZE_HEADER];
  const upload = headers[BLOB_UPLOAD_HEADER];
  const named = [digest, size, upload].filter((value) => value !== undefined).length;
  if (named === 0) return undefined;
  const hint = `send ${BLOB_DIGEST_HEADER}, ${BLOB_SIZE_HEADER} and ${BLOB_UPLOAD_HEADER} with an empty body after a direct upload, or none of them with the archive as the body`;
  if (digest === undefined || size === undefined || upload === undefined)
    throw new InvalidInputError('the upload headers', [
      { input: 'headers', message: `${3 - named} of the three headers naming a direct upload are missing`, hint },
    ]);
  if (hasBody)
    throw new InvalidInputError('the upload', [
      { input: 'body', message: 'a PUT naming a direct upload must have an empty body', hint },
    ]);
  return { digest, size, upload };
}
