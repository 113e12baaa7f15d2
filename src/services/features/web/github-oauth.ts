/**
 * Sign-in with GitHub (or GitHub Enterprise, by its base URL): the OAuth web application flow as
 * GitHub documents it. The browser goes to `<base>/login/oauth/authorize` with a random `state`
 * (kept in a short-lived httpOnly cookie), comes back to `/auth/github` with a `code`, which the
 * services app exchanges at `<base>/login/oauth/access_token`; `GET <api>/user` then says who it
 * is. A GitHub user's first sign-in makes an account only while sign-up is open, never an administrator.
 * The token is kept (sealed) to read the user's permissions on linked repositories: github-roles.ts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ExitCode, GyreError, messageOf } from '../../../shared/errors.js';

/** The GitHub OAuth app, as an administrator sets it in the admin console. */
export interface GitHubAppConfig {
  /** `https://github.com`, or a GitHub Enterprise server such as `https://ghe.example.com`. */
  readonly baseUrl: string;
  /** `https://api.github.com`, or `https://ghe.example.com/api/v3`. */
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Who GitHub says signed in, and the token that reads their repository permissions. */
export interface GitHubIdentity {
  readonly id: number;
  readonly login: string;
  readonly token: string;
}

export const OAUTH_STATE_COOKIE = 'gyre_oauth';
/** How long the round trip to GitHub may take. */
export const OAUTH_STATE_TTL_SECONDS = 600;

/** Where to send the browser, and the state to remember for the callback. */
export function authorizeRedirect(config: GitHubAppConfig, callbackUrl: string): { url: string; state: string } {
  const state = randomBytes(24).toString('base64url');
  const url = new URL('/login/oauth/authorize', config.baseUrl);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: callbackUrl,
    state,
    // `repo`: reading the user's permission on private repositories, for roles that follow GitHub.
    scope: 'read:user repo',
    allow_signup: 'false',
  }).toString();
  return { url: url.toString(), state };
}

/** A callback whose state does not match the cookie is a forged or replayed sign-in. */
export function stateMatches(expected: string | undefined, received: unknown): boolean {
  return (
    typeof received === 'string' &&
    expected !== undefined &&
    expected.length === received.length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(received))
  );
}

/** Exchanges the callback's code for an access token, then asks GitHub who the user is. */
export async function identifyGitHubUser(
  config: GitHubAppConfig,
  code: string,
  callbackUrl: string,
): Promise<GitHubIdentity> {
  const exchange = await call(new URL('/login/oauth/access_token', config.baseUrl).toString(), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      code,
      redirect_uri: callbackUrl,
    }),
  });
  // GitHub answers 200 with an `error` field when the code or the app's credentials are wrong.
  const token = exchange as { access_token?: string; error?: string; error_description?: string };
  if (!token.access_token)
    throw new GyreError(
      `GitHub refused the sign-in: ${token.error_description ?? token.error ?? 'no access token in its answer'}`,
      ExitCode.invalidInput,
    );
  const user = (await call(`${config.apiUrl.replace(/\/+$/, '')}/user`, {
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token.access_token}`,
      'x-github-api-version': '2022-11-28',
    },
  })) as { id?: unknown; login?: unknown };
  if (typeof user.id !== 'number' || typeof user.login !== 'string')
    throw new GyreError("GitHub's /user answer has no id and login");
  return { id: user.id, login: user.login, token: token.access_token };
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new GyreError(
      `GitHub at ${new URL(url).origin} did not answer (${messageOf(error)}); check the GitHub base URL in the admin console`,
      ExitCode.unavailable,
    );
  }
  const text = await response.text();
  if (!response.ok)
    throw new GyreError(`GitHub answered ${response.status} to ${new URL(url).pathname}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GyreError(`GitHub's answer to ${new URL(url).pathname} is not JSON; is the GitHub base URL right?`);
  }
}
