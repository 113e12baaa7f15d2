import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobSpecSchema } from '../../../../../src/protocol/job-spec.js';
import { formatErrors, jobOf, parse } from './helpers.js';

// Golden files next to each fixture: `<name>.model.json` for good configs (and
// `<name>.warnings.txt` when it has warnings), `<name>.errors.txt` for bad ones.
// GYRE_UPDATE_FIXTURES=1 rewrites them; review the diff before committing.
const ROOT = join(import.meta.dirname, '../../../../fixtures/pipeline-configs');
const update = process.env.GYRE_UPDATE_FIXTURES === '1';

function fixtures(kind: 'good' | 'bad'): string[] {
  return readdirSync(join(ROOT, kind))
    .filter((f) => f.endsWith('.yml'))
    .sort();
}

function compareGolden(file: string, actual: string): void {
  if (update) writeFileSync(file, actual);
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run with GYRE_UPDATE_FIXTURES=1 and review it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('real-world style configs', () => {
  it('has at least ten of them, good and bad', () => {
    expect(fixtures('good').length).toBeGreaterThanOrEqual(5);
    expect(fixtures('bad').length).toBeGreaterThanOrEqual(5);
    expect(fixtures('good').length + fixtures('bad').length).toBeGreaterThanOrEqual(10);
  });

  it.each(fixtures('good'))('parses good/%s into the expected model', (name) => {
    const result = parse(readFileSync(join(ROOT, 'good', name), 'utf8'));
    if (!result.ok) throw new Error(formatErrors(result.errors));
    compareGolden(
      join(ROOT, 'good', name.replace(/\.yml$/, '.model.json')),
      `${JSON.stringify(result.config, null, 2)}\n`,
    );
    const warningsFile = join(ROOT, 'good', name.replace(/\.yml$/, '.warnings.txt'));
    if (result.warnings.length > 0) compareGolden(warningsFile, `${formatErrors(result.warnings)}\n`);
    else if (update) rmSync(warningsFile, { force: true });
    else expect(existsSync(warningsFile)).toBe(false);
    // The builder checks every lease against the protocol's schema; a job it would refuse is a parser bug.
    for (const job of result.config.workflows.flatMap((w) => w.jobs).map(jobOf))
      if (job) expect(jobSpecSchema.parse(job)).toEqual(job);
  });

  it.each(fixtures('bad'))('rejects bad/%s with every expected error at its line:column', (name) => {
    const result = parse(readFileSync(join(ROOT, 'bad', name), 'utf8'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    compareGolden(join(ROOT, 'bad', name.replace(/\.yml$/, '.errors.txt')), `${formatErrors(result.errors)}\n`);
  });
});
