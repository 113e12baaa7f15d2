/**
 * GitHub's SSH host keys, which CircleCI's `checkout` adds to `~/.ssh/known_hosts` so that a job
 * can fetch or push over ssh afterwards (as after `add_ssh_keys`) without `ssh-keyscan`, which
 * trusts whatever answers. These are the keys GitHub publishes on docs.github.com ("GitHub's SSH
 * key fingerprints"); a unit test checks them against the fingerprints published there. Lines
 * already in the file are not added again.
 */
import { readSshFile, writeSshFiles, type SshFolderContext } from './ssh-folder.js';

export const GITHUB_KNOWN_HOSTS: readonly string[] = [
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  'github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
  'github.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=',
];

/** Appends GitHub's keys to `~/.ssh/known_hosts`; resolves to why it did not, if it did not. */
export async function addGitHubKnownHosts(ctx: SshFolderContext): Promise<string | undefined> {
  const folder = await readSshFile(ctx, 'known_hosts');
  if (typeof folder === 'string') return folder;
  const present = new Set(folder.text.split('\n').map((line) => line.trim()));
  const missing = GITHUB_KNOWN_HOSTS.filter((line) => !present.has(line));
  if (missing.length === 0) return undefined;
  await writeSshFiles(ctx, [{ name: 'known_hosts', body: folder.text + missing.join('\n') + '\n' }], !folder.exists);
  return undefined;
}
