/**
 * Sends a spooled file to the URL the services box gave for it (a presigned PUT of the blob
 * store), with the headers signed into it and without the builder's credential, which the blob
 * store has no use for. The file is read as it is sent, with its length known up front (S3 refuses
 * a PUT of unknown length).
 */
import { openAsBlob } from 'node:fs';
import { messageWithCauseOf, UnavailableError } from '../../shared/errors.js';
import { RequestRefusedError } from './protocol-client.js';

export async function putToBlobStore(
  url: string,
  headers: Readonly<Record<string, string>>,
  file: string,
): Promise<void> {
  // Errors name the object, never the signature in the URL's query.
  const { origin, pathname } = new URL(url);
  const where = `the blob store at ${origin}${pathname}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'PUT', headers, body: await openAsBlob(file) });
  } catch (error) {
    throw new UnavailableError(`${where} did not take the upload: ${messageWithCauseOf(error)}`, { cause: error });
  }
  if (response.ok) return void (await response.body?.cancel());
  const text = (await response.text().catch(() => '')).slice(0, 500) || '(no body)';
  const message = `${where} answered the upload ${response.status}: ${text}`;
  throw response.status >= 500 ? new UnavailableError(message) : new RequestRefusedError(message);
}
