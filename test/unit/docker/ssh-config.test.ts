import { describe, expect, it } from '@jest/globals';
import { matchesPatterns, readSshConfig } from '../../../src/docker/ssh-config.js';

const config = `# the build farm
Host builder-* !builder-old
  HostName %h.ci.example.com
  User ci
  IdentityFile ~/.ssh/ci_ed25519

Host builder-1
  # later blocks do not override what an earlier one set
  User someone-else
  Port 2222

Match host legacy
  User matched

Host "quoted"
  HostName=10.0.0.9

Host *
  IdentityFile ~/.ssh/id_fallback
  Port 22
`;

describe('readSshConfig', () => {
  it('takes the first value of each keyword from every matching Host block, with %h as the alias', () => {
    expect(readSshConfig(config, 'builder-1')).toEqual({
      hostName: 'builder-1.ci.example.com',
      user: 'ci',
      port: 2222,
      identityFiles: ['~/.ssh/ci_ed25519', '~/.ssh/id_fallback'],
    });
  });

  it('honours negated patterns, `key=value` and quotes, and never applies Match blocks', () => {
    expect(readSshConfig(config, 'builder-old')).toEqual({ port: 22, identityFiles: ['~/.ssh/id_fallback'] });
    expect(readSshConfig(config, 'quoted')).toEqual({
      hostName: '10.0.0.9',
      port: 22,
      identityFiles: ['~/.ssh/id_fallback'],
    });
    expect(readSshConfig(config, 'legacy').user).toBeUndefined();
  });

  it('applies lines before the first Host to every host, and says nothing for an empty file', () => {
    expect(readSshConfig('User everyone\nHost x\n  User x-only\n', 'y')).toEqual({
      user: 'everyone',
      identityFiles: [],
    });
    expect(readSshConfig('', 'y')).toEqual({ identityFiles: [] });
  });
});

describe('matchesPatterns', () => {
  it('matches wildcards case-insensitively, and a negated pattern vetoes', () => {
    expect(matchesPatterns(['*.Example.com'], 'ci.example.com')).toBe(true);
    expect(matchesPatterns(['b?'], 'b1')).toBe(true);
    expect(matchesPatterns(['*', '!b1'], 'b1')).toBe(false);
    expect(matchesPatterns(['!b1'], 'b2')).toBe(false);
  });
});
