import { describe, expect, it } from '@jest/globals';
import { parseYamlWithPositions } from '../../../../../src/services/core/pipeline-config/parse-yaml-with-positions.js';
import type { YNode } from '../../../../../src/services/core/pipeline-config/yaml-node.js';

function root(text: string): YNode {
  const result = parseYamlWithPositions(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.root;
}

function plain(node: YNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
}

describe('YAML with positions', () => {
  it('gives every key and value its 1-based line and column', () => {
    const node = root('version: 2.1\njobs:\n  build:\n    steps: [checkout]\n');
    if (node.kind !== 'map') throw new Error('expected a map');
    const jobs = node.entries[1];
    expect(jobs?.keyPos).toEqual({ line: 2, column: 1 });
    expect(jobs?.value.pos).toEqual({ line: 3, column: 3 });
  });

  it('keeps the source text of numbers, so 1.10 is not read as 1.1', () => {
    const node = root('go: 1.10\n');
    expect(node.kind === 'map' && node.entries[0]?.value).toMatchObject({ value: 1.1, text: '1.10' });
  });

  it('applies merge keys with explicit keys winning and earlier sources winning', () => {
    const text = 'a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nc:\n  <<: [*a, *b]\n  x: 3\n';
    expect(plain(root(text))).toEqual({ a: { x: 1, y: 1 }, b: { y: 2, z: 2 }, c: { x: 3, y: 1, z: 2 } });
  });

  it('accepts several `<<` keys in one map, the earlier key winning over the later', () => {
    const text = 'a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nc:\n  <<: *a\n  <<: *b\n  z: 3\n';
    expect(plain(root(text))).toEqual({ a: { x: 1, y: 1 }, b: { y: 2, z: 2 }, c: { x: 1, y: 1, z: 3 } });
  });

  it('tells which top-level keys define anchors, however deep', () => {
    const result = parseYamlWithPositions('base: &b { x: 1 }\nlist:\n  - deep: &d 1\nplain: { x: *b }\nempty: &n\n');
    expect(result.ok && [...result.anchorHolders]).toEqual(['base', 'list', 'empty']);
  });

  it('points nodes reached through an alias at the anchor, where their text is', () => {
    const node = root('defaults: &d\n  image: alpine\njob:\n  <<: *d\n');
    const job = node.kind === 'map' ? node.entries[1]?.value : undefined;
    expect(job?.kind === 'map' && job.entries[0]?.value.pos).toEqual({ line: 2, column: 10 });
  });

  it('reports a merge key that is not a map', () => {
    expect(parseYamlWithPositions('a:\n  <<: 3\n')).toEqual({
      ok: false,
      errors: [
        {
          line: 2,
          column: 7,
          path: 'a.<<',
          message: 'a merge key `<<` takes a map (usually an alias such as *defaults) or a list of maps',
        },
      ],
    });
  });

  it('names the duplicated key, and still gives the tree, so the rest of the config is checked too', () => {
    const result = parseYamlWithPositions('jobs:\n  a: 1\n  a: 2\n');
    expect(result.ok && result.yamlErrors).toEqual([
      expect.objectContaining({
        line: 3,
        column: 3,
        message: expect.stringContaining('duplicate key "a"') as unknown,
      }),
    ]);
  });

  it('gives no tree after an error that leaves the document a guess', () => {
    const result = parseYamlWithPositions('jobs:\n  a: [1, 2\n  b: "x\\q"\n');
    expect(result.ok).toBe(false);
  });

  it('refuses complex keys', () => {
    const result = parseYamlWithPositions('? [a, b]\n: 1\n');
    expect(!result.ok && result.errors[0]).toMatchObject({
      line: 1,
      column: 3,
      message: 'map keys must be plain strings',
    });
  });
});
