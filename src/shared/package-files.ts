/**
 * Where Gyre's own files are: the package root holds package.json, dist/, templates/, images/
 * and compose/. Found by walking up from this module to Gyre's package.json, so it works from
 * src/ (tests), dist/ (the CLI), other build folders (benchmarks) and an npm install alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'gyre-ci';

function findPackageRoot(from: string): { root: string; version: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === PACKAGE_NAME && parsed.version) return { root: `${dir}/`, version: parsed.version };
    }
    if (dirname(dir) === dir)
      throw new Error(`cannot find ${PACKAGE_NAME}'s package.json above ${from}; reinstall Gyre`);
  }
}

const found = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The folder that holds Gyre's package.json, with a trailing slash. */
export const packageRoot = found.root;

/** Gyre's version from package.json: shown by `gyre --version`, written into labels and image tags. */
export const GYRE_VERSION = found.version;
