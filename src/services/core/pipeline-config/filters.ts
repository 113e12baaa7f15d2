/**
 * Workflow job filters with CircleCI's semantics: a job runs on every branch and on no tag unless
 * told otherwise; `only` narrows, `ignore` excludes (and wins over `only`). A `/regex/` must
 * match the whole ref name.
 */
import { childPath, itemPath, type ErrorCollector } from './errors.js';
import type { JobFilters, RefFilter, RefPattern } from './model.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { getValue, type YNode } from './yaml-node.js';
import { fullMatch } from './bounded-regex.js';

/** The git ref a pipeline was created for. */
export type GitRef =
  { readonly kind: 'branch'; readonly name: string } | { readonly kind: 'tag'; readonly name: string };

/** Reads `filters:` of a workflow job. */
export function readFilters(node: YNode, path: string, errors: ErrorCollector): JobFilters | undefined {
  const map = expectMap(node, path, errors, 'a map with `branches` and/or `tags`');
  if (!map) return undefined;
  checkKeys(map, path, ['branches', 'tags'], errors, 'filters');
  const before = errors.count;
  const branchesNode = getValue(map, 'branches');
  const tagsNode = getValue(map, 'tags');
  const branches = branchesNode && readRefFilter(branchesNode, childPath(path, 'branches'), errors);
  const tags = tagsNode && readRefFilter(tagsNode, childPath(path, 'tags'), errors);
  if (errors.count !== before) return undefined;
  return { ...(branches ? { branches } : {}), ...(tags ? { tags } : {}) };
}

function readRefFilter(node: YNode, path: string, errors: ErrorCollector): RefFilter | undefined {
  const map = expectMap(node, path, errors, 'a map with `only` and/or `ignore`');
  if (!map) return undefined;
  checkKeys(map, path, ['only', 'ignore'], errors, 'a branch or tag filter');
  const onlyNode = getValue(map, 'only');
  const ignoreNode = getValue(map, 'ignore');
  const only = onlyNode && readPatterns(onlyNode, childPath(path, 'only'), errors);
  const ignore = ignoreNode && readPatterns(ignoreNode, childPath(path, 'ignore'), errors);
  return { ...(only ? { only } : {}), ...(ignore ? { ignore } : {}) };
}

function readPatterns(node: YNode, path: string, errors: ErrorCollector): RefPattern[] | undefined {
  if (node.kind === 'seq' && node.items.length === 0) {
    errors.add(
      node.pos,
      path,
      'expected a branch or tag name, a /regex/, or a non-empty list of them; an empty list would match nothing',
    );
    return undefined;
  }
  const items =
    node.kind === 'seq' ? node.items.map((item, i) => [item, itemPath(path, i)] as const) : [[node, path] as const];
  const patterns = items.map(([item, itemAt]) => {
    const text = readNonEmptyString(item, itemAt, errors);
    return text === undefined ? undefined : readPattern(text, item, itemAt, errors);
  });
  return patterns.every((p) => p !== undefined) ? patterns : undefined;
}

function readPattern(text: string, node: YNode, path: string, errors: ErrorCollector): RefPattern | undefined {
  if (text.length < 2 || !text.startsWith('/') || !text.endsWith('/')) return { kind: 'exact', value: text };
  const source = text.slice(1, -1);
  const problem = regexProblem(source);
  if (problem === undefined) return { kind: 'regex', source };
  errors.add(node.pos, path, `invalid regular expression ${text}: ${problem}`);
  return undefined;
}

/** Why `source` is not a regular expression, or undefined when it is one. */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    // The RegExp constructor is the only validator there is; its message is the useful part.
    return error instanceof SyntaxError
      ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
      : String(error);
  }
}

/** Whether a workflow job with these filters runs for `ref`. */
export function matchesRef(filters: JobFilters, ref: GitRef): boolean {
  const filter = ref.kind === 'branch' ? filters.branches : filters.tags;
  // Tags are opt-in: without a tags filter a job never runs for a tag.
  if (filter === undefined) return ref.kind === 'branch';
  const included = filter.only === undefined || filter.only.some((p) => matchesPattern(p, ref.name));
  const excluded = filter.ignore?.some((p) => matchesPattern(p, ref.name)) ?? false;
  return included && !excluded;
}

/** Whether one pattern matches a ref name; a regex has to match all of it (RegexTimeoutError when it runs too long). */
export function matchesPattern(pattern: RefPattern, name: string): boolean {
  if (pattern.kind === 'exact') return pattern.value === name;
  return fullMatch(pattern.source, name);
}
