import { describe, expect, it } from '@jest/globals';
import {
  parseDrainDeadline,
  parseGitHubApp,
  parseGracePeriod,
  parseResourceClasses,
  parseWebhookBaseUrl,
} from '../../../../../src/services/core/settings/settings-input.js';

const inputsOf = (parsed: { ok: boolean; problems?: readonly { input: string }[] }) =>
  parsed.ok ? [] : parsed.problems!.map((p) => p.input);

describe('parseResourceClasses', () => {
  it('reads one class per line, skipping blank lines and comments', () => {
    const parsed = parseResourceClasses(
      '# name cpus memory\nsmall 1 2048\n\nmedium 2 4096  # the default\nhuge 0.5 512',
      'medium',
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        defaultClass: 'medium',
        classes: {
          small: { cpus: 1, memoryMiB: 2048 },
          medium: { cpus: 2, memoryMiB: 4096 },
          huge: { cpus: 0.5, memoryMiB: 512 },
        },
      },
    });
  });

  it('lists every problem at once, each naming its line', () => {
    const parsed = parseResourceClasses('Small 1 2048\nmedium -1 lots\nmedium 2 4096\nlarge 4', 'xlarge');
    expect(inputsOf(parsed)).toEqual([
      'classes line 1',
      'classes line 2',
      'classes line 2',
      'classes line 3',
      'classes line 4',
      'defaultClass',
    ]);
  });

  it('refuses an empty table', () => {
    expect(inputsOf(parseResourceClasses('  \n# nothing', 'medium'))).toEqual(['classes']);
  });
});

describe('parseWebhookBaseUrl', () => {
  it('treats an empty field as "use GYRE_PUBLIC_URL" and drops a trailing slash', () => {
    expect(parseWebhookBaseUrl('  ')).toEqual({ ok: true, value: undefined });
    expect(parseWebhookBaseUrl('https://ci.example.com/gyre/')).toEqual({
      ok: true,
      value: 'https://ci.example.com/gyre',
    });
  });

  it('refuses other schemes, queries and credentials', () => {
    expect(inputsOf(parseWebhookBaseUrl('ftp://ci.example.com'))).toEqual(['webhookBaseUrl']);
    expect(inputsOf(parseWebhookBaseUrl('https://u:p@ci.example.com/?x=1'))).toEqual([
      'webhookBaseUrl',
      'webhookBaseUrl',
    ]);
    expect(inputsOf(parseWebhookBaseUrl('not a url'))).toEqual(['webhookBaseUrl']);
  });
});

describe('parseGitHubApp', () => {
  it('derives the API URL of github.com and of GitHub Enterprise', () => {
    expect(parseGitHubApp({ baseUrl: '', apiUrl: '', clientId: 'Iv1.abc', clientSecret: '' })).toEqual({
      ok: true,
      value: {
        baseUrl: 'https://github.com',
        apiUrl: 'https://api.github.com',
        clientId: 'Iv1.abc',
        clientSecret: undefined,
      },
    });
    const enterprise = parseGitHubApp({
      baseUrl: 'https://ghe.example.com/',
      apiUrl: '',
      clientId: 'Iv1.abc',
      clientSecret: 'a-long-secret',
    });
    expect(enterprise).toMatchObject({
      ok: true,
      value: { apiUrl: 'https://ghe.example.com/api/v3', clientSecret: 'a-long-secret' },
    });
  });

  it('lists every problem at once', () => {
    expect(
      inputsOf(parseGitHubApp({ baseUrl: 'nope', apiUrl: 'ftp://x', clientId: '', clientSecret: 'short' })),
    ).toEqual(['baseUrl', 'apiUrl', 'clientId', 'clientSecret']);
  });

  it('takes a status token to set, keeps the stored one when blank, and removes it when asked', () => {
    const fields = { baseUrl: '', apiUrl: '', clientId: 'Iv1.abc', clientSecret: '' };
    expect(parseGitHubApp({ ...fields, statusToken: ' ghp_abcdefghijklmnop0123456789 ' })).toMatchObject({
      ok: true,
      value: { statusToken: 'ghp_abcdefghijklmnop0123456789' },
    });
    const kept = parseGitHubApp({ ...fields, statusToken: '' });
    expect(kept.ok && kept.value.statusToken).toBeUndefined();
    expect(parseGitHubApp({ ...fields, statusToken: '', removeStatusToken: true })).toMatchObject({
      ok: true,
      value: { statusToken: null },
    });
  });

  it('refuses a status token that is not one, or one entered and removed at once', () => {
    const fields = { baseUrl: '', apiUrl: '', clientId: 'Iv1.abc', clientSecret: '' };
    expect(inputsOf(parseGitHubApp({ ...fields, statusToken: 'short' }))).toEqual(['statusToken']);
    expect(inputsOf(parseGitHubApp({ ...fields, statusToken: 'ghp_has a space in it' }))).toEqual(['statusToken']);
    expect(
      inputsOf(parseGitHubApp({ ...fields, statusToken: 'ghp_abcdefghijklmnop', removeStatusToken: true })),
    ).toEqual(['statusToken']);
  });
});

describe('durations', () => {
  it('reads drain deadlines and grace periods, and refuses nonsense and excess', () => {
    expect(parseDrainDeadline('30m')).toEqual({ ok: true, value: 1_800_000 });
    expect(parseGracePeriod('0')).toEqual({ ok: true, value: 0 });
    expect(inputsOf(parseDrainDeadline('soon'))).toEqual(['deadline']);
    expect(inputsOf(parseDrainDeadline('200h'))).toEqual(['deadline']);
    expect(inputsOf(parseGracePeriod('-1h'))).toEqual(['grace']);
  });
});
