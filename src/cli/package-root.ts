/**
 * Files that ship with the package (templates, Dockerfiles, compose/), located relative to the
 * running code so the CLI works from a git checkout and from an npm install alike.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackTemplates } from '../render/index.js';

/** The package root: the folder holding package.json, two levels above src/cli or dist/cli. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Reads the stack templates from `templates/`. */
export function readStackTemplates(root: string = packageRoot): StackTemplates {
  const dir = join(root, 'templates');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const partials = Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.hbs') && !name.includes('.compose.'))
      .map((name) => [basename(name, '.hbs'), read(name)]),
  );
  return { services: read('services.compose.yml.hbs'), builder: read('builder.compose.yml.hbs'), partials };
}
