/**
 * The stack templates that ship with the package.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { StackTemplates } from '../../render/index.js';
import { packageRoot } from '../../shared/package-files.js';

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
