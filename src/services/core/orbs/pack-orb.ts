/**
 * `circleci orb pack` for an orb's source in the orb development kit layout: `@orb.yml` at the
 * root of `src/`, and one element per YAML file under `commands/`, `jobs/`, `executors/` and
 * `examples/`, named by its file name. `<<include(scripts/x.sh)>>` in an element is replaced by
 * that file's text, relative to `src/`, with every `<<` in it escaped as `\<<` so the script's own
 * heredocs and text are not read as parameters. Examples keep their includes as written, as the
 * CircleCI CLI keeps them. Pure: the caller reads the files.
 */
import { posix } from 'node:path';
import { isScalar, parseDocument, stringify, visit, type Document } from 'yaml';
import { MAX_CONFIG_BYTES } from '../pipeline-config/index.js';

/** Element folders, in the order the packed YAML lists them after `@orb.yml`'s own keys. */
const ELEMENT_FOLDERS = ['commands', 'executors', 'jobs', 'examples'] as const;
const ORB_FILE = '@orb.yml';
const INCLUDE = /<<\s*include\(([^)]*)\)\s*>>/g;

/** A problem with one file of the source, `file` relative to `src/` (with `:line:column` for YAML errors). */
export interface PackProblem {
  readonly file: string;
  readonly message: string;
}

/** The packed orb, or every problem with its source. */
export type PackResult =
  { readonly ok: true; readonly yaml: string } | { readonly ok: false; readonly problems: readonly PackProblem[] };

/**
 * Packs the files of an orb's `src/` folder, keyed by their path relative to it (`@orb.yml`,
 * `commands/install.yml`, `scripts/install.sh`).
 */
export function packOrb(files: ReadonlyMap<string, string>): PackResult {
  const problems: PackProblem[] = [];
  const rootText = files.get(ORB_FILE);
  if (rootText === undefined)
    return {
      ok: false,
      problems: [{ file: ORB_FILE, message: "is missing: an orb's src/ folder starts with @orb.yml" }],
    };
  // Included scripts count against the packed orb's limit as they are read, so a script included
  // in every value cannot make the packer build gigabytes first.
  const budget: IncludeBudget = { includedBytes: 0, exceeded: false };
  const root = readYaml(ORB_FILE, rootText, problems);
  if (root !== undefined && !isMap(root))
    problems.push({ file: ORB_FILE, message: 'expected a map with `version` and `description`' });
  const packed = new Map<string, unknown>(isMap(root) ? Object.entries(root) : []);
  for (const folder of ELEMENT_FOLDERS) {
    const elements = readElements(folder, files, problems, budget);
    if (elements.size === 0) continue;
    const own = packed.get(folder);
    if (own !== undefined && own !== null && !isMap(own)) {
      problems.push({ file: ORB_FILE, message: `\`${folder}\` must be a map of names to definitions` });
      continue;
    }
    const merged = new Map<string, unknown>(isMap(own) ? Object.entries(own) : []);
    for (const [name, element] of elements) {
      if (merged.has(name))
        problems.push({ file: element.file, message: `${ORB_FILE} already defines ${folder}.${name}` });
      merged.set(name, element.value);
    }
    // Object.fromEntries defines each key as its own property, `__proto__` included.
    packed.set(folder, Object.fromEntries(merged));
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, yaml: stringify(Object.fromEntries(packed), { lineWidth: 0 }) };
}

/** The bytes of the scripts included so far, against the packed orb's size limit. */
interface IncludeBudget {
  includedBytes: number;
  exceeded: boolean;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every element of one folder, by name, with its file; subfolders are flattened, as the CircleCI CLI does. */
function readElements(
  folder: string,
  files: ReadonlyMap<string, string>,
  problems: PackProblem[],
  budget: IncludeBudget,
): Map<string, { file: string; value: unknown }> {
  const elements = new Map<string, { file: string; value: unknown }>();
  const paths = [...files.keys()].filter((p) => p.startsWith(`${folder}/`) && /\.ya?ml$/.test(p)).sort();
  for (const path of paths) {
    const name = posix.basename(path).replace(/\.ya?ml$/, '');
    if (elements.has(name)) {
      problems.push({
        file: path,
        message: `another file under ${folder}/ is also named ${name}; element names must be unique`,
      });
      continue;
    }
    const includes = folder === 'examples' ? undefined : { files, budget };
    const value = readYaml(path, files.get(path) ?? '', problems, includes);
    if (value !== undefined) elements.set(name, { file: path, value });
  }
  return elements;
}

/** One file's YAML as plain data; with `includes`, its `<<include(...)>>` values filled in. */
function readYaml(
  path: string,
  text: string,
  problems: PackProblem[],
  includes?: { files: ReadonlyMap<string, string>; budget: IncludeBudget },
): unknown {
  const doc = parseDocument(text, { prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const at = e.linePos?.[0];
      problems.push({
        file: `${path}${at ? `:${at.line}:${at.col}` : ''}`,
        message: `invalid YAML: ${e.message.split('\n')[0] ?? ''}`,
      });
    }
    return undefined;
  }
  if (includes) fillIncludes(doc, path, includes.files, includes.budget, problems);
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    // An alias bomb, or a merge key (`<<: *x`) whose source is no map.
    problems.push({ file: path, message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}

/** Fills the includes of one file, until the packed text would pass the size limit (said once). */
function fillIncludes(
  doc: Document,
  path: string,
  files: ReadonlyMap<string, string>,
  budget: IncludeBudget,
  problems: PackProblem[],
): void {
  if (budget.exceeded) return;
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('include(')) return undefined;
      node.value = node.value.replace(INCLUDE, (match: string, target: string) => {
        const included = resolveInclude(target.trim(), files);
        if (typeof included !== 'string') {
          problems.push({ file: path, message: `${match}: ${included.problem}` });
          return match;
        }
        budget.includedBytes += Buffer.byteLength(included);
        return included.replaceAll('<<', '\\<<');
      });
      if (budget.includedBytes <= MAX_CONFIG_BYTES) return undefined;
      budget.exceeded = true;
      problems.push({
        file: path,
        message: `its included scripts make the packed orb larger than ${MAX_CONFIG_BYTES} bytes (1 MiB), the most a config or orb may be`,
      });
      return visit.BREAK;
    },
  });
}

function resolveInclude(target: string, files: ReadonlyMap<string, string>): string | { problem: string } {
  const normal = posix.normalize(target);
  if (target === '' || posix.isAbsolute(target) || normal.startsWith('..'))
    return { problem: "an include names a file inside the orb's src/ folder, such as scripts/install.sh" };
  const text = files.get(normal);
  return text ?? { problem: `src/${normal} does not exist` };
}
