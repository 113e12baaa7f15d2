/**
 * Reads an orb's source tree in the orb development kit layout (`src/@orb.yml`, `src/commands/`,
 * ...) into the path → text map that packing takes. The folder given may be the orb's repository
 * or its `src/` folder itself.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidInputError } from '../shared/errors.js';

/** The most an orb's source may hold; a packed orb is parsed like a config, which is capped at 1 MiB. */
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** The files of the orb's `src/` folder, by their path relative to it, with `/` separators. */
export async function readOrbSource(folder: string): Promise<Map<string, string>> {
  const root = existsSync(join(folder, 'src', '@orb.yml')) ? join(folder, 'src') : folder;
  if (!existsSync(join(root, '@orb.yml')))
    throw new InvalidInputError('orb source', [
      {
        input: folder,
        message: 'has neither src/@orb.yml nor @orb.yml',
        hint: 'give the folder of an orb made with `circleci orb init` (the orb development kit layout), or a packed orb file',
      },
    ]);
  const files = new Map<string, string>();
  let bytes = 0;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    // Symbolic links are left out: an orb's text is what its folder holds.
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    bytes += Buffer.byteLength(text);
    if (bytes > MAX_SOURCE_BYTES)
      throw new InvalidInputError('orb source', [
        {
          input: folder,
          message: `holds more than ${MAX_SOURCE_BYTES} bytes`,
          hint: 'an orb source is YAML and scripts',
        },
      ]);
    files.set(relative(root, path).split(sep).join('/'), text);
  }
  return files;
}
