import { createRequire } from 'node:module';

/** Gyre's version (from package.json), shown by `gyre --version` and written into labels. */
export const GYRE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
