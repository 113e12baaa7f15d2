/**
 * GitHub repository names (`owner/name`): parsing, comparing and reading one from a clone URL.
 * A project is linked to one repository; deliveries must name it and statuses go only to it.
 */

/** A repository's owner and name, parsed from GitHub's `full_name`. */
export interface RepositoryName {
  readonly owner: string;
  readonly repo: string;
}

/** GitHub's rules: owners are 1-39 letters, digits and inner hyphens; names 1-100 of [A-Za-z0-9._-]. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/repo` as GitHub spells it, or undefined when it is not one. */
export function parseRepositoryFullName(fullName: string): RepositoryName | undefined {
  const parts = fullName.split('/');
  if (parts.length !== 2) return undefined;
  const [owner = '', repo = ''] = parts;
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..') return undefined;
  return { owner, repo };
}

/** Whether two `owner/name`s are one repository: GitHub ignores case in both parts. */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The `owner/name` of a github.com clone URL (https, ssh, git or scp-like), or undefined for any
 * other host. Used to link a new project to its repository when its creator names none.
 */
export function repositoryOfGitUrl(gitUrl: string): string | undefined {
  const scp = /^[^@\s/]+@github\.com:([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(gitUrl);
  const path = scp ? scp[1] : githubUrlPath(gitUrl);
  if (path === undefined) return undefined;
  return parseRepositoryFullName(path) ? path : undefined;
}

function githubUrlPath(gitUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(gitUrl);
  } catch {
    return undefined;
  }
  if (url.hostname.toLowerCase() !== 'github.com') return undefined;
  const match = /^\/([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url.pathname);
  return match?.[1];
}
