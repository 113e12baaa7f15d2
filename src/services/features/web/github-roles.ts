/**
 * Roles that follow GitHub, as CircleCI's do: an account that signed in with GitHub gets, in a
 * project linked to a repository, the role its permission there gives (see github-permission.ts),
 * read with its own OAuth token (`GET /repos/{owner}/{repo}`, whose `permissions` are the
 * caller's) and cached for minutes. GitHub's answer that the repository is not there for this
 * user (404, or 403) means no role; a token GitHub refuses (401) is dropped until the next
 * sign-in. When GitHub cannot be asked, no role is given: access fails closed, and explicit
 * memberships still work.
 */
import type { Logger } from 'pino';
import { roleOfPermissions, type RepositoryPermissions } from '../../core/access/github-permission.js';
import type { ProjectRole } from '../../core/access/project-roles.js';
import type { GitHubGrants } from '../../stores/accounts/github-grants.js';
import type { GitHubAppConfig } from './github-oauth.js';
import { messageOf } from '../../../shared/errors.js';

/** How many repositories are read from GitHub at once when a list needs them all. */
const PARALLEL_READS = 8;

export class GitHubRoles {
  constructor(
    private readonly grants: GitHubGrants,
    private readonly githubApp: () => Promise<GitHubAppConfig | undefined>,
    private readonly logger: Logger,
  ) {}

  /** The role the account's GitHub permission on `repository` gives, from the cache while it is fresh. */
  async roleOn(userId: number, repository: string): Promise<ProjectRole | undefined> {
    const cached = await this.grants.cached(userId, repository);
    if (cached?.fresh) return cached.role;
    const access = await this.accessOf(userId);
    return access && this.read(userId, repository, access);
  }

  /** Reads every linked repository whose role is not freshly cached, so that project lists can filter on the cache. */
  async refresh(userId: number): Promise<void> {
    const access = await this.accessOf(userId);
    if (!access) return;
    const stale = await this.grants.staleRepositories(userId);
    for (let i = 0; i < stale.length; i += PARALLEL_READS)
      await Promise.all(stale.slice(i, i + PARALLEL_READS).map((repository) => this.read(userId, repository, access)));
  }

  /** The GitHub app and the account's token; undefined without either. */
  private async accessOf(userId: number): Promise<{ apiUrl: string; token: string } | undefined> {
    const [config, token] = [await this.githubApp(), await this.grants.token(userId)];
    return config && token !== undefined ? { apiUrl: config.apiUrl, token } : undefined;
  }

  private async read(
    userId: number,
    repository: string,
    { apiUrl, token }: { apiUrl: string; token: string },
  ): Promise<ProjectRole | undefined> {
    const log = this.logger.child({ userId, repository });
    let response: Response;
    try {
      response = await fetch(`${apiUrl.replace(/\/+$/, '')}/repos/${repository}`, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'x-github-api-version': '2022-11-28',
        },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      log.warn({ err: messageOf(error) }, 'could not read a GitHub permission; no role from GitHub this time');
      return undefined;
    }
    if (response.status === 401) {
      log.warn('GitHub refused the account token; roles from GitHub stop until the next GitHub sign-in');
      await this.grants.dropToken(userId);
      return undefined;
    }
    if (response.status === 404 || response.status === 403) {
      await this.grants.remember(userId, repository, undefined);
      return undefined;
    }
    if (!response.ok) {
      log.warn({ status: response.status }, 'GitHub did not answer a permission read; no role from GitHub this time');
      return undefined;
    }
    const body = (await response.json().catch(() => ({}))) as { permissions?: RepositoryPermissions };
    const role = roleOfPermissions(body.permissions);
    await this.grants.remember(userId, repository, role);
    return role;
  }
}
