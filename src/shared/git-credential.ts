/**
 * How git is given a project's repository credential, on the services box and in a builder's
 * checkout alike, so both sides send it the same way and neither puts it where it could leak:
 * never in a URL (git would store and print it) and never on a command line (visible in `ps`).
 *
 * - A token goes in an `Authorization: Basic` header through git's environment config
 *   (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`), which no git command prints and
 *   no repository keeps. Redirects are not followed, so the header never reaches another host.
 * - A deploy key goes in a file of mode 0600 that the caller makes and removes; ssh reads it with
 *   `-i`, learns an unknown host's key on first use into a known_hosts file of the caller's
 *   choosing (`accept-new`) and refuses a changed one.
 */

import { privateKeyBody } from './ssh-keys.js';

/** The user name a token is sent with when none is given: what GitHub expects of app and fine-grained tokens. */
export const DEFAULT_TOKEN_USERNAME = 'x-access-token';

/** A project's access to its private repository, in clear: held only while git runs. */
export type GitCredential =
  | { readonly kind: 'token'; readonly username: string; readonly token: string }
  | { readonly kind: 'deploy-key'; readonly privateKey: string };

/** One project's way to its repository, as the services box's git takes it. */
export interface RepositoryAccess {
  /**
   * Whose mirror: objects fetched under one scope are never read under another, so a project
   * without a credential cannot read what a project with one fetched. Gyre uses the project and
   * its credential's id (`project:7/credential:…`).
   */
  readonly scope: string;
  readonly gitUrl: string;
  readonly credential?: GitCredential;
}

/** Files a deploy key needs while git runs. */
export interface SshFiles {
  /** The private key, mode 0600. */
  readonly keyFile: string;
  /** Where ssh records the host's key on first use and checks it afterwards. */
  readonly knownHostsFile: string;
}

/** The `Authorization` header value for a token credential. */
export function basicAuthorization(username: string, token: string): string {
  return `Basic ${Buffer.from(`${username}:${token}`, 'utf8').toString('base64')}`;
}

/** git config entries (`[key, value]`) that make git send the credential over http(s). */
export function credentialGitConfig(credential: GitCredential | undefined): [string, string][] {
  if (credential?.kind !== 'token') return [];
  return [
    ['http.extraHeader', `Authorization: ${basicAuthorization(credential.username, credential.token)}`],
    ['http.followRedirects', 'false'],
  ];
}

/** Environment variables that pass config entries to git without a command line or a config file. */
export function gitConfigEnvironment(entries: readonly (readonly [string, string])[]): Record<string, string> {
  if (entries.length === 0) return {};
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

/**
 * The `GIT_SSH_COMMAND` that uses a deploy key and nothing else: no agent, no prompt, the
 * caller's known_hosts. git runs it through a shell, so the paths are quoted.
 */
export function deployKeySshCommand(files: SshFiles): string {
  return [
    'ssh',
    '-o BatchMode=yes',
    '-o IdentitiesOnly=yes',
    '-o IdentityAgent=none',
    `-o IdentityFile=${shellQuote(files.keyFile)}`,
    '-o StrictHostKeyChecking=accept-new',
    `-o UserKnownHostsFile=${shellQuote(files.knownHostsFile)}`,
  ].join(' ');
}

/** Every text that would give the credential away if printed, for the builder's output masking. */
export function credentialSecrets(credential: GitCredential | undefined): string[] {
  if (credential === undefined) return [];
  if (credential.kind === 'deploy-key') return [privateKeyBody(credential.privateKey)];
  return [credential.token, basicAuthorization(credential.username, credential.token).slice('Basic '.length)];
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A git URL saved before credentials moved out of URLs, with its user info replaced by `***`
 * (except an ssh user name such as `git`, which is no secret). Such a URL is never shown or sent
 * to a builder as it is, and git refuses it, naming the fix.
 */
export function hideUrlUserInfo(gitUrl: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/@]*)@/.exec(gitUrl);
  if (!match) return gitUrl;
  const [whole, scheme = '', userInfo = ''] = match;
  if (scheme.toLowerCase() === 'ssh' && !userInfo.includes(':')) return gitUrl;
  return `${scheme}://***@${gitUrl.slice(whole.length)}`;
}
