/**
 * JSON that a server or another program was expected to answer with. Anything else (a proxy's
 * HTML page, a warning printed before the output) means the other side did not really answer,
 * so it is an UnavailableError that says where the text came from and how it starts.
 */
import { UnavailableError } from './errors.js';

export function parseJsonFrom<T>(text: string, source: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UnavailableError(`${source} did not answer with JSON but with ${JSON.stringify(text.slice(0, 120))}`, {
      cause: error,
    });
  }
}
