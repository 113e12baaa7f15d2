/**
 * Whether GitHub, as the admin console configures it, works for Gyre: its API answers, and the
 * commit status token is accepted and may post statuses. A classic token says its scopes in
 * `X-OAuth-Scopes` (GitHub's documented header); posting statuses needs `repo:status`, which
 * `repo` includes. Fine-grained and app tokens say none, so only their validity is known.
 */
import type { GitHubCheckResponse } from '../../../api/responses.js';
import { messageOf } from '../../../shared/errors.js';
import { gitHubMessage } from '../../core/github/github-message.js';

const TIMEOUT_MS = 10_000;
const HEADERS = { accept: 'application/vnd.github+json', 'user-agent': 'Gyre', 'x-github-api-version': '2022-11-28' };
/** A classic token may post statuses with either. */
const STATUS_SCOPES = ['repo', 'repo:status'];

export interface GitHubTarget {
  readonly apiUrl: string;
  readonly statusToken?: string;
}

export async function checkGitHub(target: GitHubTarget | undefined): Promise<GitHubCheckResponse> {
  if (target === undefined)
    return { configured: false, apiUrl: null, reachable: null, problem: null, statusToken: null };
  const api = target.apiUrl.replace(/\/+$/, '');
  const base = { configured: true, apiUrl: api };
  try {
    // The root endpoint answers anyone; a server error (GitHub's, or a proxy's) is no answer.
    const root = await fetch(`${api}/`, { headers: HEADERS, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await root.body?.cancel();
    if (root.status >= 500)
      return { ...base, reachable: false, problem: `${api}/ answered ${root.status}`, statusToken: null };
  } catch (error) {
    return { ...base, reachable: false, problem: `${api} did not answer: ${messageOf(error)}`, statusToken: null };
  }
  if (target.statusToken === undefined) return { ...base, reachable: true, problem: null, statusToken: null };
  let response: Response;
  try {
    response = await fetch(`${api}/user`, {
      headers: { ...HEADERS, authorization: `Bearer ${target.statusToken}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { ...base, reachable: false, problem: `${api}/user did not answer: ${messageOf(error)}`, statusToken: null };
  }
  const text = await response.text();
  // A GitHub App's installation token may not read /user (403, "Resource not accessible by
  // integration") yet posts statuses: it is valid, its permissions unknown here.
  if (response.status === 403)
    return {
      ...base,
      reachable: true,
      problem: null,
      statusToken: { valid: true, login: null, scopes: null, lacking: [] },
    };
  if (!response.ok)
    return {
      ...base,
      reachable: true,
      problem: `GitHub answered ${response.status} to the commit status token${gitHubMessage(text)}`,
      statusToken: { valid: false, login: null, scopes: null, lacking: [] },
    };
  const header = response.headers.get('x-oauth-scopes');
  const scopes =
    header === null
      ? null
      : header
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean);
  const lacking = scopes !== null && !scopes.some((scope) => STATUS_SCOPES.includes(scope)) ? ['repo:status'] : [];
  return {
    ...base,
    reachable: true,
    problem:
      lacking.length > 0
        ? `the commit status token's scopes (${scopes!.join(', ') || 'none'}) lack repo:status${scopes!.includes('public_repo') ? ' (public_repo reaches public repositories only)' : ''}`
        : null,
    statusToken: { valid: true, login: loginOf(text), scopes, lacking },
  };
}

function loginOf(text: string): string | null {
  try {
    const login = (JSON.parse(text) as { login?: unknown }).login;
    return typeof login === 'string' ? login : null;
  } catch {
    return null;
  }
}
