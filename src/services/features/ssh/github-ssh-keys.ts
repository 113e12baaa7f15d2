/**
 * The public keys GitHub lists for an account that signs in with GitHub, so that such a person can
 * connect to their SSH reruns without uploading a key to Gyre. Found by the account's GitHub id,
 * never by its Gyre login: a Gyre login may differ from the GitHub one (`alice-github` when a local
 * `alice` existed) and GitHub logins change hands, so a lookup by name could let a stranger in.
 * `GET /user/{id}` gives the current login, then `GET /users/{login}/keys` the keys, both with the
 * account's own OAuth token where Gyre keeps one (GitHub allows few requests without one).
 *
 * Cached for a minute per account (a job heartbeat asks every 15 s); past that the cached keys
 * are answered at once while one request per account reads them again, so a slow GitHub never
 * holds a heartbeat. When GitHub does not answer (an outage, a rate limit), the last answer stands,
 * so that sessions are not cut; an account GitHub says is gone (404, 410) has no keys; one GitHub
 * never answered for has none either: access fails closed.
 */
import type { Logger } from 'pino';
import type { SshAccessKey } from '../../../protocol/index.js';
import { messageOf } from '../../../shared/errors.js';
import { readSshPublicKey } from '../../core/security/ssh-public-key.js';

const CACHE_MS = 60_000;
const TIMEOUT_MS = 10_000;
/** More than anyone lists; a longer answer is cut here. */
const MAX_KEYS = 100;

/** An account that signs in with GitHub. */
export interface GitHubAccount {
  readonly userId: number;
  readonly githubId: number;
  /** Its Gyre login, which the keys are named as (sessions are audited under it). */
  readonly login: string;
}

export interface GitHubSshKeysDeps {
  /** The GitHub (or GitHub Enterprise) API that accounts sign in through, once an administrator set it. */
  readonly githubApp: () => Promise<{ readonly apiUrl: string } | undefined>;
  /** The account's GitHub OAuth token, if Gyre keeps one. */
  readonly tokenOf: (userId: number) => Promise<string | undefined>;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface Cached {
  readonly at: number;
  readonly keys: readonly SshAccessKey[];
}

export class GitHubSshKeys {
  readonly #cache = new Map<number, Cached>();
  readonly #reading = new Map<number, Promise<readonly SshAccessKey[]>>();

  constructor(private readonly deps: GitHubSshKeysDeps) {}

  /** The account's keys on GitHub, named as its Gyre login; none without a GitHub app. */
  async keysOf(account: GitHubAccount): Promise<readonly SshAccessKey[]> {
    const cached = this.#cache.get(account.githubId);
    if (cached && this.#now() - cached.at < CACHE_MS) return cached.keys;
    const reading =
      this.#reading.get(account.githubId) ??
      this.#refresh(account, cached).finally(() => this.#reading.delete(account.githubId));
    this.#reading.set(account.githubId, reading);
    return cached ? cached.keys : reading;
  }

  async #refresh(account: GitHubAccount, cached: Cached | undefined): Promise<readonly SshAccessKey[]> {
    const config = await this.deps.githubApp();
    if (config === undefined) return [];
    try {
      const keys = await this.#read(config.apiUrl, account);
      this.#cache.set(account.githubId, { at: this.#now(), keys });
      return keys;
    } catch (error) {
      if (error instanceof GoneOnGitHub) {
        this.#cache.set(account.githubId, { at: this.#now(), keys: [] });
        return [];
      }
      this.deps.logger.warn(
        { login: account.login, githubId: account.githubId, err: messageOf(error), keeping: cached?.keys.length ?? 0 },
        "could not read the account's SSH keys from GitHub; keeping the keys it last listed",
      );
      return cached?.keys ?? [];
    }
  }

  async #read(apiUrl: string, account: GitHubAccount): Promise<readonly SshAccessKey[]> {
    const api = apiUrl.replace(/\/+$/, '');
    const token = await this.deps.tokenOf(account.userId);
    const user = await this.#get(`${api}/user/${account.githubId}`, token);
    const login = (user as { login?: unknown } | null)?.login;
    if (typeof login !== 'string' || (user as { id?: unknown }).id !== account.githubId)
      throw new Error(`GitHub's user ${account.githubId} came back without that id and a login`);
    const body = await this.#get(`${api}/users/${encodeURIComponent(login)}/keys?per_page=${MAX_KEYS}`, token);
    if (!Array.isArray(body)) throw new Error('GitHub answered with something other than a list of keys');
    return body.slice(0, MAX_KEYS).flatMap((entry: unknown) => {
      const text = (entry as { key?: unknown } | null)?.key;
      const key = typeof text === 'string' ? readSshPublicKey(text, 'key') : undefined;
      return key === undefined || 'input' in key
        ? []
        : [{ publicKey: key.publicKey, fingerprint: key.fingerprints.sha256, account: account.login }];
    });
  }

  async #get(url: string, token: string | undefined): Promise<unknown> {
    const response = await fetch(url, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 404 || response.status === 410) throw new GoneOnGitHub();
    if (!response.ok) throw new Error(`GitHub answered ${response.status} to ${new URL(url).pathname}`);
    return response.json();
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** GitHub's answer that the user (or its keys) is not there: a real answer, not a failure to keep old keys through. */
class GoneOnGitHub extends Error {
  constructor() {
    super('GitHub knows no such user');
  }
}
