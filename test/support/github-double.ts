/**
 * A test double of the parts of GitHub that Gyre calls, answering as GitHub's documentation says:
 * the OAuth web flow (`/login/oauth/authorize`, `/login/oauth/access_token`, which answers 200
 * with an `error` field for a bad code), `GET /user`, `GET /repos/{owner}/{repo}` (with the
 * calling user's `permissions`; 404 for a repository the user may not read, as GitHub hides
 * private ones), commit statuses (`POST /repos/{owner}/{repo}/statuses/{sha}`, 201), a user's
 * public SSH keys (`GET /users/{username}/keys`: `[{ id, key }]`) and a user by id (`GET /user/{id}`),
 * both public (no token needed, 404 for an unknown user), and the root endpoint (`GET /`, which needs
 * no token). A classic token's scopes come back in
 * `X-OAuth-Scopes` on every authenticated answer. The API lives under `/api/v3`, as on GitHub
 * Enterprise, so the same double checks that Gyre takes the base and API URLs from its settings.
 * "Signing in" at authorize is automatic: it approves at once for the configured user.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface GitHubUser {
  readonly id: number;
  readonly login: string;
}

export interface RecordedStatus {
  readonly repo: string;
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description: string | undefined;
  readonly targetUrl: string | undefined;
}

export interface GitHubDouble {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The user the next authorize approves. */
  user: GitHubUser;
  readonly statuses: RecordedStatus[];
  /** A token the API accepts, as a classic personal token with scope repo:status would be. */
  readonly apiToken: string;
  /** A further classic token of `login`, with these scopes. */
  issueToken(login: string, scopes: readonly string[]): string;
  /** Gives `login` a permission on `repository` (`owner/name`); undefined takes it away. */
  grant(login: string, repository: string, permission: 'pull' | 'push' | 'admin' | undefined): void;
  /** How many times `GET /repos/{owner}/{repo}` was asked, by repository (lower case). */
  readonly repositoryReads: Map<string, number>;
  /** Each user's public SSH keys (`ssh-ed25519 AAAA…`), by login (lower case); a login not here is unknown. */
  readonly publicKeys: Map<string, readonly string[]>;
  /** Users `GET /user/{id}` knows: their current login by id. */
  readonly users: Map<number, string>;
  stop(): Promise<void>;
}

export interface GitHubDoubleOptions {
  /** The address to listen on, e.g. 0.0.0.0 so that containers can call it. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * The host name in `baseUrl` and `apiUrl`, e.g. a GyreEnvironment's `hostAddress` (Docker's
   * bridge gateway), where the services app's container reaches this host. @default `host`
   */
  readonly urlHost?: string;
}

export async function startGitHubDouble(options: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const host = options.host ?? '127.0.0.1';
  const codes = new Map<string, { user: GitHubUser; redirectUri: string }>();
  const tokens = new Map<string, GitHubUser & { readonly scopes: string }>();
  const grants = new Map<string, 'pull' | 'push' | 'admin'>();
  const grantKey = (login: string, repository: string) => `${login.toLowerCase()} ${repository.toLowerCase()}`;
  const apiToken = `ghp_${randomBytes(18).toString('hex')}`;
  const double: Omit<GitHubDouble, 'baseUrl' | 'apiUrl' | 'stop'> & { baseUrl: string; apiUrl: string } = {
    baseUrl: '',
    apiUrl: '',
    clientId: 'Iv1.testclient',
    clientSecret: randomBytes(20).toString('hex'),
    user: { id: 583231, login: 'octocat' },
    statuses: [],
    apiToken,
    grant: (login, repository, permission) => {
      if (permission) grants.set(grantKey(login, repository), permission);
      else grants.delete(grantKey(login, repository));
    },
    repositoryReads: new Map(),
    publicKeys: new Map(),
    users: new Map(),
    issueToken: (login, scopes) => {
      const token = `ghp_${randomBytes(16).toString('hex')}`;
      tokens.set(token, { id: 2, login, scopes: scopes.join(', ') });
      return token;
    },
  };
  tokens.set(apiToken, { id: 1, login: 'gyre-bot', scopes: 'repo:status' });

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => send(response, 500, { message: String(error) }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', double.baseUrl);
    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri');
      if (url.searchParams.get('client_id') !== double.clientId || !redirectUri)
        return send(response, 404, { message: 'Not Found' });
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user: double.user, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const body = parseBody(await readBody(request), request.headers['content-type']);
      const grant = codes.get(String(body['code']));
      if (body['client_id'] !== double.clientId || body['client_secret'] !== double.clientSecret)
        return send(response, 200, {
          error: 'incorrect_client_credentials',
          error_description: 'The client_id and/or client_secret passed are incorrect.',
        });
      if (!grant)
        return send(response, 200, {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        });
      codes.delete(String(body['code']));
      const token = `gho_${randomBytes(16).toString('hex')}`;
      tokens.set(token, { ...grant.user, scopes: 'read:user' });
      return send(response, 200, { access_token: token, token_type: 'bearer', scope: 'read:user' });
    }
    if (!url.pathname.startsWith('/api/v3/')) return send(response, 404, { message: 'Not Found' });
    if (request.method === 'GET' && url.pathname === '/api/v3/')
      return send(response, 200, { current_user_url: `${double.apiUrl}/user` });
    const userId = /^\/api\/v3\/user\/(\d+)$/.exec(url.pathname)?.[1];
    if (request.method === 'GET' && userId !== undefined) {
      const login = double.users.get(Number(userId));
      if (login === undefined)
        return send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return send(response, 200, { login, id: Number(userId), type: 'User', site_admin: false });
    }
    const keysOf = /^\/api\/v3\/users\/([^/]+)\/keys$/.exec(url.pathname)?.[1];
    if (request.method === 'GET' && keysOf !== undefined) {
      const keys = double.publicKeys.get(decodeURIComponent(keysOf).toLowerCase());
      if (keys === undefined)
        return send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return send(
        response,
        200,
        keys.map((key, index) => ({ id: index + 1, key })),
      );
    }
    const token = /^(?:Bearer|token) (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const caller = token ? tokens.get(token) : undefined;
    if (!caller)
      return send(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    response.setHeader('x-oauth-scopes', caller.scopes);
    const path = url.pathname.slice('/api/v3'.length);
    if (request.method === 'GET' && path === '/user')
      return send(response, 200, { login: caller.login, id: caller.id, type: 'User', site_admin: false });
    const repository = /^\/repos\/([^/]+\/[^/]+)$/.exec(path)?.[1];
    if (request.method === 'GET' && repository) {
      const key = repository.toLowerCase();
      double.repositoryReads.set(key, (double.repositoryReads.get(key) ?? 0) + 1);
      const permission = grants.get(grantKey(caller.login, repository));
      if (!permission)
        return send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      const level = ['pull', 'push', 'admin'].indexOf(permission);
      return send(response, 200, {
        full_name: repository,
        private: true,
        permissions: { admin: level >= 2, maintain: level >= 2, push: level >= 1, triage: level >= 1, pull: true },
      });
    }
    const status = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (request.method === 'POST' && status) {
      const body = JSON.parse(await readBody(request)) as {
        state?: string;
        context?: string;
        description?: string;
        target_url?: string;
      };
      if (!['error', 'failure', 'pending', 'success'].includes(body.state ?? ''))
        return send(response, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Status', field: 'state', code: 'invalid' }],
        });
      double.statuses.push({
        repo: status[1]!,
        sha: status[2]!,
        state: body.state!,
        context: body.context ?? 'default',
        description: body.description,
        targetUrl: body.target_url,
      });
      return send(response, 201, {
        state: body.state,
        context: body.context ?? 'default',
        description: body.description ?? null,
        target_url: body.target_url ?? null,
      });
    }
    return send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }

  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the GitHub double did not get a TCP port');
  double.baseUrl = `http://${options.urlHost ?? host}:${address.port}`;
  double.apiUrl = `${double.baseUrl}/api/v3`;
  // The same object the handlers read, so a test can change `user` between sign-ins.
  return Object.assign(double, { stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.once('end', () => resolve(text));
    request.once('error', reject);
  });
}

/** GitHub takes the token exchange as form data or JSON. */
function parseBody(text: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.includes('application/json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}
