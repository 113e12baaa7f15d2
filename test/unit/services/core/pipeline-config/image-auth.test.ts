import { describe, expect, it } from '@jest/globals';
import { formatErrors, jobOf, parse, parseErrors, withJob } from './helpers.js';

describe('image `auth` for private registries', () => {
  it('keeps the credentials as written, variables and all, for the builder to fill in', () => {
    const result = parse(
      withJob(
        'docker:\n  - image: ghcr.io/acme/b:1\n    auth: { username: $REG_USER, password: "${REG_TOKEN}" }\nsteps: [checkout]',
      ),
    );
    if (!result.ok) throw new Error(formatErrors(result.errors));
    expect(jobOf(result.config.workflows[0]?.jobs[0])?.docker.primary.auth).toEqual({
      username: '$REG_USER',
      password: '${REG_TOKEN}',
    });
    expect(result.warnings).toEqual([]);
  });

  it('warns about a password written out in the config, and names what is missing or unknown', () => {
    const written = parse(
      withJob('docker:\n  - image: a\n    auth: { username: bot, password: hunter22 }\nsteps: [checkout]'),
    );
    expect(written.ok && formatErrors(written.warnings)).toMatch(
      /^6:42 jobs\.build\.docker\[0\]\.auth\.password: the password is written in the config/,
    );
    expect(
      formatErrors(
        parseErrors(withJob('docker:\n  - image: a\n    auth: { username: bot, token: x }\nsteps: [checkout]')),
      ),
    ).toBe(
      [
        '6:15 jobs.build.docker[0].auth: `auth` needs `password`, e.g. `password: $DOCKERHUB_PASSWORD`',
        '6:32 jobs.build.docker[0].auth.token: unknown key "token" in an image `auth`; expected one of: username, password',
      ].join('\n'),
    );
  });
});
