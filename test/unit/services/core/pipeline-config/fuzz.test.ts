import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { parse } from './helpers.js';

// CI runs the full 10k cases the issue asks for; local runs stay quick.
const numRuns = process.env.CI === 'true' ? 10_000 : 500;
// 10k runs of the mutation property take about 12 s on a 2-core machine; leave headroom.
const timeout = 120_000;
const GOOD = join(import.meta.dirname, '../../../../fixtures/pipeline-configs/good');
const goodConfigs: unknown[] = readdirSync(GOOD)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => parseYaml(readFileSync(join(GOOD, f), 'utf8'), { merge: true }) as unknown);

/** The property every input must satisfy: a result, never a throw, and positioned errors. */
function expectPositionedResult(text: string): void {
  const result = parse(text);
  if (result.ok) return;
  const lines = text.split('\n').length + 1;
  expect(result.errors.length).toBeGreaterThan(0);
  for (const error of result.errors) {
    expect(Number.isInteger(error.line) && error.line >= 1 && error.line <= lines).toBe(true);
    expect(Number.isInteger(error.column) && error.column >= 1).toBe(true);
    expect(error.message.length).toBeGreaterThan(0);
  }
}

const yamlTokens = fc.constantFrom(
  'version: 2.1\n',
  'version: 2\n',
  'jobs:\n',
  '  build:\n',
  '    docker:\n',
  '      - image: alpine\n',
  '    steps:\n',
  '      - checkout\n',
  '      - run: make\n',
  'workflows:\n',
  '  main:\n',
  '    jobs: [build]\n',
  'commands:\n',
  'executors:\n',
  'parameters:\n',
  '<< parameters.x >>',
  '<<: *a\n',
  '&a ',
  '*a',
  '- ',
  ': ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '|\n',
  '>-\n',
  '#',
  '\t',
  '  ',
  '\n',
  '---\n',
  '!!binary ',
  '!!map ',
  '? ',
  'requires: [',
  'filters:\n',
  'only: /[/\n',
  'type: steps\n',
  'default: ',
  '~',
  'null',
  'true',
  '1e9',
  '0x1F',
);

describe('fuzzing the config parser', () => {
  it(
    'never throws on arbitrary text, and every rejection has a line and column',
    () => {
      fc.assert(fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 300 }), expectPositionedResult), {
        numRuns,
      });
    },
    timeout,
  );

  it(
    'never throws on arbitrary bytes decoded as UTF-8',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
          expectPositionedResult(Buffer.from(bytes).toString('utf8')),
        ),
        { numRuns },
      );
    },
    timeout,
  );

  it(
    'never throws on YAML-shaped token soup',
    () => {
      fc.assert(
        fc.property(fc.array(yamlTokens, { maxLength: 60 }), (tokens) => expectPositionedResult(tokens.join(''))),
        { numRuns },
      );
    },
    timeout,
  );

  it(
    'never throws when random values replace, add or remove keys anywhere in valid configs',
    () => {
      const mutation = fc.record({
        config: fc.constantFrom(...goodConfigs),
        pathChoices: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        action: fc.constantFrom('replace', 'delete', 'add'),
        value: fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.constantFrom(
            '<< parameters.nope >>',
            '<< pipeline.git.branch >>',
            'checkout',
            'run',
            '/(/',
            '10m',
            'medium',
            'privileged',
          ),
        ),
        key: fc.constantFrom(
          'run',
          'docker',
          'steps',
          'requires',
          'filters',
          'parameters',
          'executor',
          'volumes',
          'orbs',
          'when',
          'name',
          'x',
        ),
      });
      fc.assert(
        fc.property(mutation, ({ config, pathChoices, action, value, key }) => {
          const mutated = mutate(structuredClone(config), pathChoices, action, key, value);
          expectPositionedResult(stringify(mutated));
        }),
        { numRuns },
      );
    },
    timeout,
  );
});

/** Walks down `choices` (each picks a child by index, modulo their count) and edits the node reached. */
function mutate(root: unknown, choices: readonly number[], action: string, key: string, value: unknown): unknown {
  let node: unknown = root;
  for (const choice of choices.slice(0, -1)) {
    const children = childKeys(node);
    if (children.length === 0) break;
    const next = (node as Record<string, unknown>)[children[choice % children.length] ?? ''];
    if (childKeys(next).length === 0) break;
    node = next;
  }
  const children = childKeys(node);
  const target = children[(choices.at(-1) ?? 0) % Math.max(1, children.length)];
  const container = node as Record<string, unknown>;
  if (action === 'add' && !Array.isArray(node)) container[key] = value;
  else if (action === 'delete' && target !== undefined) {
    if (Array.isArray(node)) node.splice(Number(target), 1);
    else Reflect.deleteProperty(container, target);
  } else if (target !== undefined) container[target] = value;
  return root;
}

function childKeys(node: unknown): string[] {
  return typeof node === 'object' && node !== null ? Object.keys(node) : [];
}
