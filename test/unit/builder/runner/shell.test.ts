import { describe, expect, it } from '@jest/globals';
import {
  directoryExpression,
  killStepArgv,
  parseToolsProbe,
  shellArgv,
  stepExecArgv,
} from '../../../../src/builder/runner/shell.js';

const withBash = { hasBash: true, hasSetsid: true };
const withoutBash = { hasBash: false, hasSetsid: false };

describe('shellArgv', () => {
  it('uses bash with -eo pipefail when the image has bash, like CircleCI', () => {
    expect(shellArgv(withBash)).toEqual(['/bin/bash', '-eo', 'pipefail']);
  });

  it('falls back to sh when the image has no bash', () => {
    expect(shellArgv(withoutBash)).toEqual(['/bin/sh', '-eo', 'pipefail']);
  });

  it("prefers the step's shell over the job's", () => {
    expect(shellArgv(withBash, '/bin/zsh -e', '/bin/sh')).toEqual(['/bin/zsh', '-e']);
    expect(shellArgv(withBash, undefined, '/bin/sh -x')).toEqual(['/bin/sh', '-x']);
  });
});

describe('directoryExpression', () => {
  it("expands ~ to the container user's $HOME and quotes the rest", () => {
    expect(directoryExpression('~/project')).toBe(`"$HOME"'/project'`);
    expect(directoryExpression('~')).toBe('"$HOME"');
    expect(directoryExpression("/srv/it's here")).toBe(`'/srv/it'\\''s here'`);
  });
});

describe('stepExecArgv', () => {
  it('passes the script as an argument and runs it in a session of its own', () => {
    const argv = stepExecArgv(withBash, ['/bin/bash', '-eo', 'pipefail'], 'echo "$HOME"; exit 3', '~/project', 2);
    expect(argv.slice(0, 4)).toEqual(['setsid', '-w', '/bin/sh', '-c']);
    expect(argv.slice(-5)).toEqual(['/bin/bash', '-eo', 'pipefail', '-c', 'echo "$HOME"; exit 3']);
    expect(argv[4]).toContain(`cd -- "$HOME"'/project'`);
  });

  it('runs without setsid when the image lacks it, and then kills only the shell', () => {
    expect(stepExecArgv(withoutBash, ['/bin/sh'], 'true', '/w', 1)[0]).toBe('/bin/sh');
    expect(killStepArgv(withoutBash, 1, 'KILL')[2]).toBe('kill -s KILL -- $(cat /tmp/.gyre-step-1.pid)');
    expect(killStepArgv(withBash, 1, 'KILL')[2]).toBe('kill -s KILL -- -$(cat /tmp/.gyre-step-1.pid)');
  });
});

describe('parseToolsProbe', () => {
  it('reads which tools the image has', () => {
    expect(parseToolsProbe('bash\nsetsid\n')).toEqual(withBash);
    expect(parseToolsProbe('')).toEqual(withoutBash);
  });
});
