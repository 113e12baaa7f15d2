/**
 * Where Gyre's own files are: the package root holds package.json, dist/, templates/, images/
 * and compose/. Resolved from this module's location, which is the same depth under src/ and
 * dist/, so it works from a git checkout and from an npm install alike.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The folder that holds Gyre's package.json, with a trailing slash. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Gyre's version from package.json: shown by `gyre --version`, written into labels and image tags. */
export const GYRE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
