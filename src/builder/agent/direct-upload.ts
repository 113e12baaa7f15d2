/**
 * Sends a spooled file to the URL the services box gave for it (a presigned PUT of the blob
 * store), with the headers signed into it and without the builder's credential, which the blob
 * store has no use for. The file is read as it is sent, with its length known up front (S3 refuses
 * a PUT of unknown length).
 */
import { createReadStream } from 'node:fs';
import { messageWithCauseOf, UnavailableError } from '../../shared/errors.js';
import { RequestRefusedError } from './protocol-client.js';
import type { SpooledFile } from './spooled-file.js';
import { sendStreamed, type StreamedAnswer } from './streamed-request.js';

export async function putToBlobStore(
  url: string,
  headers: Readonly<Record<string, string>>,
  file: SpooledFile,
): Promise<void> {
  // Errors name the object, never the signature in the URL's query.
  const { origin, pathname } = new URL(url);
  const where = `the blob store at ${origin}${pathname}`;
  let answer: StreamedAnswer;
  try {
    answer = await sendStreamed(url, {
      method: 'PUT',
      headers: { ...headers, 'content-length': String(file.size) },
      body: createReadStream(file.path),
    });
  } catch (error) {
    throw new UnavailableError(`${where} did not take the upload: ${messageWithCauseOf(error)}`, { cause: error });
  }
  if (answer.status >= 200 && answer.status < 300) return;
  const message = `${where} answered the upload ${answer.status}: ${answer.text.slice(0, 500) || '(no body)'}`;
  throw answer.status >= 500 ? new UnavailableError(message) : new RequestRefusedError(message);
}
