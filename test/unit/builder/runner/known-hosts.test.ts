import { beforeEach, describe, expect, it } from '@jest/globals';
import { addGitHubKnownHosts, GITHUB_KNOWN_HOSTS } from '../../../../src/builder/runner/known-hosts.js';
import type { SshFolderContext } from '../../../../src/builder/runner/ssh-folder.js';
import { fingerprintsOf } from '../../../../src/shared/ssh-keys.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

// GIVEN GitHub's host keys as Gyre writes them after checkout, WHEN checked against the
// fingerprints GitHub publishes (docs.github.com, "GitHub's SSH key fingerprints") and written
// into a container's ~/.ssh/known_hosts, THEN they are GitHub's and are appended once.

const HOME = '/home/circleci';
let backend: FakeJobBackend;
const context = (): SshFolderContext => ({ backend, primary: 'p', home: HOME, owner: { uid: 1000, gid: 1000 } });
const knownHosts = () => backend.filesOf('p').read(`${HOME}/.ssh/known_hosts`);

beforeEach(() => {
  backend = new FakeJobBackend();
  backend.filesOf('p').nodes.set(HOME, 'dir');
});

describe("GitHub's host keys", () => {
  it('are the keys whose SHA256 fingerprints GitHub publishes', () => {
    const fingerprints = GITHUB_KNOWN_HOSTS.map(
      (line) => fingerprintsOf(Buffer.from(line.split(' ')[2]!, 'base64')).sha256,
    );
    expect(fingerprints).toEqual([
      'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU',
      'SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM',
      'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
    ]);
  });

  it("are appended once to an image's own known_hosts, which is kept", async () => {
    backend.filesOf('p').write(`${HOME}/.ssh/known_hosts`, 'git.internal ssh-ed25519 AAAA');
    expect(await addGitHubKnownHosts(context())).toBeUndefined();
    expect(await addGitHubKnownHosts(context())).toBeUndefined();
    expect(knownHosts()).toBe(['git.internal ssh-ed25519 AAAA', ...GITHUB_KNOWN_HOSTS, ''].join('\n'));
  });

  it('make ~/.ssh when the image has none, and say why when ~/.ssh is no folder', async () => {
    await addGitHubKnownHosts(context());
    expect(knownHosts()).toBe([...GITHUB_KNOWN_HOSTS, ''].join('\n'));
    backend = new FakeJobBackend();
    backend.filesOf('p').write(`${HOME}/.ssh`, 'a file');
    expect(await addGitHubKnownHosts(context())).toMatch(/\.ssh is not a folder/);
  });
});
