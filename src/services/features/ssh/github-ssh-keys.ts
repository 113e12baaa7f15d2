/**
 * The public keys GitHub lists for an account that signs in with GitHub (`GET /users/{login}/keys`,
 * public on github.com and GitHub Enterprise), so that such a person can connect to their SSH
 * reruns without uploading a key to Gyre. Cached for a minute per account: a job heartbeat asks
 * every 15 s. When GitHub cannot be asked, the account has no GitHub keys until it can (its
 * uploaded keys still work): access fails closed.
 */
import type { Logger } from 'pino';
import type { SshAccessKey } from '../../../protocol/index.js';
import { messageOf } from '../../../shared/errors.js';
import { readSshPublicKey } from '../../core/security/ssh-public-key.js';

const CACHE_MS = 60_000;
const TIMEOUT_MS = 10_000;
/** More than anyone lists; a longer answer is cut here. */
const MAX_KEYS = 100;

export class GitHubSshKeys {
  readonly #cache = new Map<string, { readonly at: number; readonly keys: readonly SshAccessKey[] }>();

  constructor(
    /** The GitHub (or GitHub Enterprise) API that accounts sign in through, once an administrator set it. */
    private readonly githubApp: () => Promise<{ readonly apiUrl: string } | undefined>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** `login`'s keys on GitHub, named as the account; none without a GitHub app or an answer. */
  async keysOf(login: string): Promise<readonly SshAccessKey[]> {
    const cached = this.#cache.get(login.toLowerCase());
    if (cached && this.now() - cached.at < CACHE_MS) return cached.keys;
    const config = await this.githubApp();
    if (config === undefined) return [];
    const keys = await this.#read(config.apiUrl, login);
    // Dropped past the window rather than swept: a handful of accounts ever rerun with SSH.
    this.#cache.set(login.toLowerCase(), { at: this.now(), keys });
    return keys;
  }

  async #read(apiUrl: string, login: string): Promise<readonly SshAccessKey[]> {
    const url = `${apiUrl.replace(/\/+$/, '')}/users/${encodeURIComponent(login)}/keys?per_page=${MAX_KEYS}`;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`GitHub answered ${response.status}`);
      const body: unknown = await response.json();
      if (!Array.isArray(body)) throw new Error('GitHub answered with something other than a list');
      return body.slice(0, MAX_KEYS).flatMap((entry: unknown) => {
        const text = (entry as { key?: unknown } | null)?.key;
        const key = typeof text === 'string' ? readSshPublicKey(text, 'key') : undefined;
        return key === undefined || 'input' in key
          ? []
          : [{ publicKey: key.publicKey, fingerprint: key.fingerprints.sha256, account: login }];
      });
    } catch (error) {
      this.logger.warn({ login, err: messageOf(error) }, "could not read the account's SSH keys from GitHub");
      return [];
    }
  }
}
