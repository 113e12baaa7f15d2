/**
 * What the services box needs to reach one project's repository: where it is, whose mirror the
 * fetched objects go to, and the credential, given to git only while it runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialGitConfig,
  deployKeySshCommand,
  gitConfigEnvironment,
  type GitCredential,
} from '../../shared/git-credential.js';
import { GitError } from './git-error.js';
import type { RepositoryUrl } from './repository-url.js';

export type { RepositoryAccess } from '../../shared/git-credential.js';

/**
 * Runs `task` with git's environment extended by the credential (and the checked addresses of an
 * http(s) host pinned, so a name cannot be re-pointed between the check and the fetch). A deploy
 * key lives in a private temporary folder for exactly that long.
 */
export async function withAccessEnvironment<T>(
  request: {
    readonly base: NodeJS.ProcessEnv;
    readonly url: RepositoryUrl;
    readonly credential: GitCredential | undefined;
    readonly addresses: readonly string[];
    readonly knownHostsFile: string;
  },
  task: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const { url, credential } = request;
  checkTransport(url, credential);
  const config = [...credentialGitConfig(credential), ...pinnedAddresses(url, request.addresses)];
  const env = { ...request.base, ...gitConfigEnvironment(config) };
  if (credential?.kind !== 'deploy-key') return task(env);
  // mkdtemp makes the folder 0700; the key inside it is 0600, as ssh insists.
  const folder = await mkdtemp(join(tmpdir(), 'gyre-git-key-'));
  try {
    const keyFile = join(folder, 'key');
    await writeFile(
      keyFile,
      credential.privateKey.endsWith('\n') ? credential.privateKey : `${credential.privateKey}\n`,
      {
        mode: 0o600,
      },
    );
    return await task({
      ...env,
      GIT_SSH_COMMAND: deployKeySshCommand({ keyFile, knownHostsFile: request.knownHostsFile }),
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** A token goes over http(s) only, a deploy key over ssh only; anything else is a misconfiguration, named as such. */
function checkTransport(url: RepositoryUrl, credential: GitCredential | undefined): void {
  if (credential === undefined) return;
  const wanted = credential.kind === 'token' ? ['https', 'http'] : ['ssh'];
  if (wanted.includes(url.transport)) return;
  const [what, fix] =
    credential.kind === 'token'
      ? ['an https token', 'use the https clone URL, or replace the credential with a deploy key']
      : ['a deploy key', 'use the ssh clone URL (git@host:owner/repo.git), or replace the credential with a token'];
  throw new GitError(
    'invalid-url',
    `The project's git credential is ${what}, which git cannot use with a ${url.transport}:// URL (${url.redacted}). Fix: ${fix}`,
  );
}

/** `http.curloptResolve`: curl connects to the addresses that were checked, not to what DNS says a moment later. */
function pinnedAddresses(url: RepositoryUrl, addresses: readonly string[]): [string, string][] {
  if ((url.transport !== 'https' && url.transport !== 'http') || addresses.length === 0) return [];
  if (addresses.includes(url.host)) return [];
  const list = addresses.map((address) => (address.includes(':') ? `[${address}]` : address)).join(',');
  return [['http.curloptResolve', `${url.host}:${url.port}:${list}`]];
}
