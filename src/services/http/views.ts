/**
 * Server-rendered pages: Handlebars templates from `templates/web/`, with HTML escaping on: every
 * `{{value}}` is text, never markup, and no template uses the triple-stash (a test checks).
 * Not strict: optional parts of a page (a signed-in user, an error) are simply absent.
 * `_layout.hbs` wraps every page; files starting with `_` are partials.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../../shared/package-files.js';
import { formatRoomSize } from '../../shared/room-size.js';

export const WEB_TEMPLATES_DIR = join(packageRoot, 'templates/web');

export type RenderView = (name: string, model: object) => string;

/** Compiles every template once, at start-up. */
export function createViews(dir = WEB_TEMPLATES_DIR): RenderView {
  const env = Handlebars.create();
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  env.registerHelper('roomSize', (cpus: number | null, memoryBytes: number) => formatRoomSize({ cpus, memoryBytes }));
  env.registerHelper('time', (value: unknown) =>
    typeof value === 'string' ? value.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '',
  );
  env.registerHelper('duration', (from: unknown, to: unknown) => {
    if (typeof from !== 'string') return '';
    const ms = (typeof to === 'string' ? Date.parse(to) : Date.now()) - Date.parse(from);
    return ms < 60_000
      ? `${Math.round(ms / 1000)}s`
      : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  });
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.hbs'))) {
    const name = basename(file, '.hbs');
    const source = readFileSync(join(dir, file), 'utf8');
    // preventIndent: a partial's lines are not indented to where it is called, which would
    // change what a <textarea> shown again holds.
    const template = env.compile(source, { preventIndent: true });
    if (name.startsWith('_')) env.registerPartial(name.slice(1), template);
    else pages.set(name, template);
  }
  return (name, model) => {
    const page = pages.get(name);
    if (!page) throw new Error(`no web template ${name}.hbs in ${dir}`);
    return page(model);
  };
}
