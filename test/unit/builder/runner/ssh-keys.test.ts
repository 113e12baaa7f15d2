import { beforeEach, describe, expect, it } from '@jest/globals';
import { addSshKeys, type SshKeysContext } from '../../../../src/builder/runner/ssh-keys.js';
import type { AddSshKeysStep } from '../../../../src/builder/runner/types.js';
import type { LeasedSshKey } from '../../../../src/protocol/index.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN a primary container's files (in memory) and the keys a lease carries, WHEN add_ssh_keys
// runs, THEN each key it names is in ~/.ssh as id_rsa_<MD5 hex> with a Host entry appended to
// ~/.ssh/config, and a key the project lacks, or a fork's build without secrets, fails the step
// saying why.

const GITHUB: LeasedSshKey = {
  md5: '1f:14:46:c9:03:23:dc:96:48:ea:57:01:48:45:1a:a7',
  sha256: 'SHA256:brLzjWArD8EsdtcC2v5MUeFHVA8QtaLhYlyOo/TgWRQ',
  hostname: 'github.com',
  privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\ngithub\n-----END OPENSSH PRIVATE KEY-----\n',
};
const ANY_HOST: LeasedSshKey = {
  md5: '97:e1:df:67:6f:1e:97:a0:15:c7:68:10:01:b8:86:9e',
  sha256: 'SHA256:bweh/1612RFgHh9HZBue3dZzB4S3A9J/VWMlpEI0PIo',
  privateKey: '-----BEGIN RSA PRIVATE KEY-----\nany\n-----END RSA PRIVATE KEY-----',
};
const HOME = '/home/circleci';

let backend: FakeJobBackend;
let logs: string[];

function context(job: SshKeysContext['job']): SshKeysContext {
  return { backend, primary: 'p', job, home: HOME, owner: { uid: 1000, gid: 1000 }, log: (line) => logs.push(line) };
}

const step = (...fingerprints: string[]): AddSshKeysStep => ({
  type: 'add_ssh_keys',
  name: 'Add SSH keys',
  when: 'on_success',
  fingerprints,
});

const files = () => backend.filesOf('p');

beforeEach(() => {
  backend = new FakeJobBackend();
  logs = [];
  files().nodes.set(HOME, 'dir');
});

/** The config text a key's Host entry adds. */
const entry = (host: string, md5hex: string) =>
  `\nHost ${host}\n  IdentitiesOnly no\n  IdentityFile "${HOME}/.ssh/id_rsa_${md5hex}"\n`;

describe('add_ssh_keys', () => {
  it('adds every key the lease carries when the step names none, one Host entry each', async () => {
    const end = await addSshKeys(context({ sshKeys: [GITHUB, ANY_HOST] }), step());
    expect(end.exitCode).toBe(0);
    expect(files().read(`${HOME}/.ssh/id_rsa_1f1446c90323dc9648ea570148451aa7`)).toBe(GITHUB.privateKey);
    // A key without its final newline gets one: ssh refuses a key file without it.
    expect(files().read(`${HOME}/.ssh/id_rsa_97e1df676f1e97a015c7681001b8869e`)).toBe(`${ANY_HOST.privateKey}\n`);
    expect(files().read(`${HOME}/.ssh/config`)).toBe(
      entry('github.com', '1f1446c90323dc9648ea570148451aa7') + entry('*', '97e1df676f1e97a015c7681001b8869e'),
    );
    expect(logs).toEqual([
      `Added ${GITHUB.sha256} (${GITHUB.md5}) for github.com as ${HOME}/.ssh/id_rsa_1f1446c90323dc9648ea570148451aa7`,
      `Added ${ANY_HOST.sha256} (${ANY_HOST.md5}) for every host as ${HOME}/.ssh/id_rsa_97e1df676f1e97a015c7681001b8869e`,
    ]);
  });

  it('adds only the keys the step names, by MD5 or SHA256', async () => {
    await addSshKeys(context({ sshKeys: [GITHUB, ANY_HOST] }), step(ANY_HOST.sha256));
    expect(files().filesUnder(`${HOME}/.ssh`)).toEqual([
      `${HOME}/.ssh/config`,
      `${HOME}/.ssh/id_rsa_97e1df676f1e97a015c7681001b8869e`,
    ]);
    expect(files().read(`${HOME}/.ssh/config`)).toBe(entry('*', '97e1df676f1e97a015c7681001b8869e'));
    // A second step appends its key's entry to what the first wrote.
    await addSshKeys(context({ sshKeys: [GITHUB, ANY_HOST] }), step(GITHUB.md5));
    expect(files().filesUnder(`${HOME}/.ssh`)).toHaveLength(3);
    expect(files().read(`${HOME}/.ssh/config`)).toBe(
      entry('*', '97e1df676f1e97a015c7681001b8869e') + entry('github.com', '1f1446c90323dc9648ea570148451aa7'),
    );
  });

  it("keeps the image's own ~/.ssh/config and appends to it", async () => {
    files().write(`${HOME}/.ssh/config`, 'Host internal\n  User git');
    await addSshKeys(context({ sshKeys: [GITHUB] }), step());
    expect(files().read(`${HOME}/.ssh/config`)).toBe(
      `Host internal\n  User git\n${entry('github.com', '1f1446c90323dc9648ea570148451aa7')}`,
    );
  });

  it('fails naming every fingerprint the project has no key for, and adds nothing', async () => {
    const end = await addSshKeys(
      context({ sshKeys: [GITHUB] }),
      step(GITHUB.md5, ANY_HOST.md5, 'SHA256:0000000000000000000000000000000000000000000'),
    );
    expect(end.exitCode).toBe(1);
    expect(end.reason).toContain(`no SSH key with the fingerprint ${ANY_HOST.md5}, SHA256:000`);
    expect(end.reason).toContain("project's settings");
    expect(files().filesUnder(HOME)).toEqual([]);
  });

  it.each([
    ['~/.ssh/config is a folder', `${HOME}/.ssh/config`, /\.ssh\/config is a directory, not a file/],
    ['~/.ssh is a file', `${HOME}/.ssh`, /\.ssh is not a folder \(a file\)/],
  ])('fails without replacing anything when %s', async (_, path, reason) => {
    if (path.endsWith('config')) files().nodes.set(path, 'dir');
    else files().write(path, 'not a folder');
    const end = await addSshKeys(context({ sshKeys: [GITHUB] }), step());
    expect({ exitCode: end.exitCode, reason: end.reason }).toEqual({
      exitCode: 1,
      reason: expect.stringMatching(reason),
    });
    expect(files().filesUnder(`${HOME}/.ssh`)).toEqual(path.endsWith('config') ? [] : [`${HOME}/.ssh`]);
  });

  it('fails naming the home folder when the container has none', async () => {
    files().nodes.delete(HOME);
    const end = await addSshKeys(context({ sshKeys: [GITHUB] }), step());
    expect(end.reason).toMatch(/the home folder \/home\/circleci is not in the container/);
  });

  it('fails the step, not the job, when the engine refuses the files', async () => {
    backend.putArchive = () => Promise.reject(new Error('no space left on device'));
    const end = await addSshKeys(context({ sshKeys: [GITHUB] }), step());
    expect(end).toEqual({
      exitCode: 1,
      reason: 'failed: add_ssh_keys could not write the keys: no space left on device',
    });
  });

  it("fails in a fork's build that gets no secrets, saying why, even for a step that names no key", async () => {
    const end = await addSshKeys(context({ secretsWithheld: true }), step());
    expect(end.exitCode).toBe(1);
    expect(end.reason).toMatch(/fork's pull request gets no SSH keys/);
    expect(files().filesUnder(HOME)).toEqual([]);
  });

  it('succeeds with nothing to add when the project has no keys and the step names none', async () => {
    expect((await addSshKeys(context({}), step())).exitCode).toBe(0);
    expect(logs).toEqual(['The project has no SSH keys: nothing to add.']);
  });
});
