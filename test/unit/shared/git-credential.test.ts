import { describe, expect, it } from '@jest/globals';
import {
  basicAuthorization,
  credentialGitConfig,
  credentialSecrets,
  deployKeySshCommand,
  gitConfigEnvironment,
} from '../../../src/shared/git-credential.js';

const TOKEN = { kind: 'token', username: 'x-access-token', token: 'ghs_0123456789abcdef' } as const;

describe('how git is given a credential', () => {
  it('sends a token as a Basic header in git environment config, and follows no redirect with it', () => {
    const env = gitConfigEnvironment(credentialGitConfig(TOKEN));
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:ghs_0123456789abcdef').toString('base64')}`,
      GIT_CONFIG_KEY_1: 'http.followRedirects',
      GIT_CONFIG_VALUE_1: 'false',
    });
  });

  it('adds nothing for a deploy key or no credential', () => {
    expect(gitConfigEnvironment(credentialGitConfig({ kind: 'deploy-key', privateKey: 'k' }))).toEqual({});
    expect(gitConfigEnvironment(credentialGitConfig(undefined))).toEqual({});
  });

  it('runs ssh with the key file only, learning a new host key and refusing a changed one', () => {
    const command = deployKeySshCommand({ keyFile: '/tmp/x y/key', knownHostsFile: '/m/a.known_hosts' });
    expect(command).toContain("-o IdentityFile='/tmp/x y/key'");
    expect(command).toContain('-o IdentitiesOnly=yes');
    expect(command).toContain('-o StrictHostKeyChecking=accept-new');
    expect(command).toContain("-o UserKnownHostsFile='/m/a.known_hosts'");
    expect(command).toContain('-o BatchMode=yes');
  });

  it('masks the token, its header form and a private key', () => {
    expect(credentialSecrets(TOKEN)).toEqual([
      TOKEN.token,
      basicAuthorization(TOKEN.username, TOKEN.token).slice('Basic '.length),
    ]);
    expect(credentialSecrets({ kind: 'deploy-key', privateKey: 'KEY' })).toEqual(['KEY']);
    expect(credentialSecrets(undefined)).toEqual([]);
  });
});
