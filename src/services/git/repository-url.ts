/**
 * Validation, normalisation and redaction of repository URLs. Everything that reaches git as a
 * repository argument has passed {@link parseRepositoryUrl}, so git never sees a remote helper
 * (`ext::`, `fd::`), a local path or anything it could read as an option.
 */
import { createHash } from 'node:crypto';
import { GitError } from './git-error.js';

/** Transports Gyre fetches over. `file` only when the caller allows it (tests). */
export type GitTransport = 'https' | 'http' | 'ssh' | 'git' | 'file';

/** A repository URL that passed validation. */
export interface RepositoryUrl {
  /** Exactly as given; the only form passed to git. */
  readonly original: string;
  /** For logs and messages: passwords and http(s) tokens replaced by `***`. */
  readonly redacted: string;
  /** Identity of the repository: no credentials, lowercase scheme and host, no default port, no trailing `/` or `.git`. */
  readonly normalised: string;
  readonly transport: GitTransport;
  /** The host to connect to: lowercase, IPv6 without brackets; empty for `file://`. */
  readonly host: string;
  /** The port to connect to: the URL's, else the transport's default. */
  readonly port: number;
}

/** Options for {@link parseRepositoryUrl}. */
export interface ParseRepositoryUrlOptions {
  /** Accept `file://` URLs; only tests need them. @default false */
  readonly allowFileUrls?: boolean;
}

const MAX_URL_LENGTH = 2048;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { https: '443', http: '80', ssh: '22', git: '9418' };
const ACCEPTED =
  'https://host/owner/repo.git, http://…, ssh://user@host/owner/repo.git, user@host:owner/repo.git or git://host/owner/repo.git';
// git's scp-like syntax: `[user@]host:path`, recognised only when no `/` comes before the first `:`.
const USER_INFO_HINT =
  "holds a user name or token. Gyre keeps no credentials in URLs: remove them from the URL and set the project's git credential instead (an https token or a deploy key, on the project's Settings page or with PUT /api/v1/projects/:id/credential)";
const SCP_LIKE = /^(?:([^@/:]+)@)?([^@/:[\]]+|\[[^\]/]+\]):(.+)$/;

/** Validates a repository URL given by a user; throws a {@link GitError} of kind `invalid-url`. */
export function parseRepositoryUrl(input: string, options: ParseRepositoryUrlOptions = {}): RepositoryUrl {
  const reject = (problem: string): never => {
    throw new GitError(
      'invalid-url',
      `Git URL ${JSON.stringify(redactSecretsInText(input))} ${problem}. Use one of: ${ACCEPTED}`,
    );
  };
  if (input.length === 0) reject('is empty');
  if (input.length > MAX_URL_LENGTH) reject(`is longer than ${MAX_URL_LENGTH} characters`);
  if (input.startsWith('-')) reject('starts with "-", which git would read as an option');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(input))
    reject('uses a git remote helper ("transport::address"), which could run arbitrary commands');
  // Whitespace and control characters have no place in a URL and could split arguments downstream.
  if (/[\s\p{Cc}]/u.test(input)) reject('contains whitespace or control characters');
  if (input.includes('://')) return parseSchemeUrl(input, options, reject);
  const scp = SCP_LIKE.exec(input);
  if (scp) return parseScpLike(input, scp, reject);
  return reject('is not a URL; local paths are not accepted');
}

function parseSchemeUrl(
  input: string,
  options: ParseRepositoryUrlOptions,
  reject: (problem: string) => never,
): RepositoryUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    // The WHATWG parser's own message adds nothing for users; the rejection says what is accepted.
    return reject(`cannot be parsed (${(error as Error).message})`);
  }
  const transport = toTransport(url.protocol.slice(0, -1), options, reject);
  const host = url.hostname.toLowerCase();
  if (transport !== 'file' && host === '') reject('has no host');
  if (host.startsWith('-') || decodeURIComponent(url.username).startsWith('-'))
    reject('has a host or user name starting with "-"');
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (path === '' || path === '/') reject('names no repository path');
  if (url.search !== '' || url.hash !== '') reject('has a query or fragment, which git does not use');
  // Over ssh the user is an account name (`git`); anywhere else, and any password, is a secret.
  if (url.password !== '' || (url.username !== '' && transport !== 'ssh')) reject(USER_INFO_HINT);
  const port = url.port === '' || url.port === DEFAULT_PORTS[transport] ? '' : `:${url.port}`;
  return {
    original: input,
    redacted: redactUrl(url, transport),
    normalised: `${transport}://${host}${port}${path}`,
    transport,
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || DEFAULT_PORTS[transport] || 0),
  };
}

function toTransport(
  scheme: string,
  options: ParseRepositoryUrlOptions,
  reject: (problem: string) => never,
): GitTransport {
  switch (scheme.toLowerCase()) {
    case 'https':
    case 'http':
    case 'ssh':
    case 'git':
      return scheme.toLowerCase() as GitTransport;
    case 'file':
      if (options.allowFileUrls === true) return 'file';
      return reject("uses file://, which would read the services box's own disk");
    default:
      return reject(`uses the unsupported transport "${scheme}"`);
  }
}

function parseScpLike(input: string, match: RegExpExecArray, reject: (problem: string) => never): RepositoryUrl {
  const [, user, rawHost = '', rawPath = ''] = match;
  if (rawHost.startsWith('-') || user?.startsWith('-') === true) reject('has a host or user name starting with "-"');
  if (rawPath.startsWith('-')) reject('has a path starting with "-"');
  const path = rawPath
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/*/, '/');
  if (path === '/') reject('names no repository path');
  // `host:owner/repo` and `ssh://host/owner/repo` name the same repository on every forge Gyre targets.
  const host = rawHost.toLowerCase();
  return {
    original: input,
    redacted: input,
    normalised: `ssh://${host}${path}`,
    transport: 'ssh',
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port: 22,
  };
}

function redactUrl(url: URL, transport: GitTransport): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  // Over http(s) a lone user name is usually a token (https://TOKEN@github.com/...); over ssh it is an account name.
  if (transport === 'https' || transport === 'http') copy.username = '***';
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}

/** Replaces credentials in any `scheme://user:password@` found in free text, such as git's stderr. */
export function redactSecretsInText(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s]+@/g, '$1***@');
}

/**
 * Directory name of a repository's mirror for one access scope (a project and its credential): a
 * hash of both, so what one scope fetched with its credential is never served to another, and the
 * name never contains user input.
 */
export function mirrorDirectoryName(url: RepositoryUrl, scope: string): string {
  return `${createHash('sha256').update(`${scope}\n${url.normalised}`).digest('hex').slice(0, 32)}.git`;
}
