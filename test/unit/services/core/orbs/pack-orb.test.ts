import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packOrb } from '../../../../../src/services/core/orbs/pack-orb.js';
import { readOrbSource } from '../../../../../src/cli/read-orb-source.js';

const ORBS = join(import.meta.dirname, '../../../../fixtures/orbs');

describe('packing an orb source tree as `circleci orb pack` does', () => {
  it('packs circleci/node@7.2.1: @orb.yml, then one element per file, scripts included and escaped', async () => {
    const result = packOrb(await readOrbSource(join(ORBS, 'node-7.2.1')));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const packed = parse(result.yaml) as Record<string, Record<string, unknown>>;
    expect(Object.keys(packed)).toEqual([
      'version',
      'description',
      'display',
      'commands',
      'executors',
      'jobs',
      'examples',
    ]);
    expect(Object.keys(packed['commands'] ?? {})).toEqual([
      'install-bun',
      'install-packages',
      'install-pnpm',
      'install-yarn',
      'install',
    ]);
    expect(Object.keys(packed['jobs'] ?? {})).toEqual(['run', 'test']);
    expect(Object.keys(packed['executors'] ?? {})).toEqual(['default']);
    // The first step of install-packages includes scripts/packages/find-package.sh.
    const steps = (packed['commands']?.['install-packages'] as { steps: { run?: { command: string } }[] }).steps;
    expect(steps[0]?.run?.command).toContain('package.json');
    expect(result.yaml).not.toContain('include(');
    // Examples keep what they say; only elements' includes are filled.
    expect(Object.keys(packed['examples'] ?? {})).toContain('install_nodejs');
  });

  it('escapes every `<<` of an included script, so the parser reads it as text', () => {
    const result = packOrb(
      new Map([
        ['@orb.yml', 'version: 2.1\ndescription: test\n'],
        ['commands/write.yml', 'steps:\n  - run:\n      command: <<include(scripts/write.sh)>>\n'],
        ['scripts/write.sh', 'cat <<EOF\n<< parameters.x >>\nEOF\n'],
      ]),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(parse(result.yaml)).toEqual({
      version: 2.1,
      description: 'test',
      commands: { write: { steps: [{ run: { command: 'cat \\<<EOF\n\\<< parameters.x >>\nEOF\n' } }] } },
    });
  });

  it('lists every problem at once, each naming its file', () => {
    const result = packOrb(
      new Map([
        ['@orb.yml', 'version: 2.1\ncommands:\n  a: { steps: [checkout] }\n'],
        ['commands/a.yml', 'steps: [checkout]\n'],
        ['commands/b.yml', 'steps: [\n'],
        ['jobs/c.yml', 'steps:\n  - run: <<include(scripts/missing.sh)>>\n  - run: << include(../../etc/passwd) >>\n'],
        ['jobs/sub/c.yml', 'steps: [checkout]\n'],
      ]),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          file: expect.stringMatching(/^commands\/b\.yml:\d+:\d+$/) as unknown,
          message: expect.stringMatching(/^invalid YAML/) as unknown,
        },
        { file: 'commands/a.yml', message: '@orb.yml already defines commands.a' },
        { file: 'jobs/c.yml', message: '<<include(scripts/missing.sh)>>: src/scripts/missing.sh does not exist' },
        {
          file: 'jobs/c.yml',
          message:
            "<< include(../../etc/passwd) >>: an include names a file inside the orb's src/ folder, such as scripts/install.sh",
        },
        { file: 'jobs/sub/c.yml', message: 'another file under jobs/ is also named c; element names must be unique' },
      ],
    });
    const big = 'x'.repeat(600 * 1024);
    expect(
      packOrb(
        new Map([
          ['@orb.yml', 'version: 2.1\ncommands:\n  __proto__: { steps: [checkout] }\n'],
          ['scripts/big.sh', big],
          ['commands/a.yml', 'steps:\n  - run: <<include(scripts/big.sh)>>\n  - run: <<include(scripts/big.sh)>>\n'],
          ['commands/b.yml', 'steps:\n  - run: <<include(scripts/big.sh)>>\n'],
          [
            'jobs/bomb.yml',
            'a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
          ],
          ['executors/merge.yml', 'base: &s text\nmerged:\n  <<: *s\n'],
        ]),
      ),
    ).toEqual({
      ok: false,
      problems: [
        {
          file: 'commands/a.yml',
          message:
            'its included scripts make the packed orb larger than 1048576 bytes (1 MiB), the most a config or orb may be',
        },
        { file: 'executors/merge.yml', message: expect.stringMatching(/^cannot be read: /) as unknown },
        { file: 'jobs/bomb.yml', message: expect.stringMatching(/^cannot be read: .*alias/i) as unknown },
      ],
    });
    expect(packOrb(new Map())).toEqual({
      ok: false,
      problems: [{ file: '@orb.yml', message: "is missing: an orb's src/ folder starts with @orb.yml" }],
    });
  });
});
