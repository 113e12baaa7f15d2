/**
 * Authenticated front doors to the test git server's repositories, as GitHub has them for a
 * private repository: git's smart HTTP with a Basic token, and ssh with one authorised public key.
 * Both run in this process on the git server's address (Docker's default bridge), so the services
 * under test and the checkout helpers of jobs reach them, and hand each request to git inside the
 * git server's container (`docker exec -i`): one store of repositories, pushed with GitServer.
 *
 * Without the right token or key they answer as a private repository does: 401, or ssh refuses.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { generateDeployKey } from '../../src/services/core/security/deploy-key.js';
import type { EgressEntry } from '../../src/config/index.js';
import type { GitServer } from './git-server.js';

const BARE_ROOT = '/srv/git';
const REPO_PATH = /^\/([A-Za-z0-9][A-Za-z0-9._-]*\.git)(\/.*)?$/;

export class PrivateGitFront {
  private authorizedKey: { readonly type: string; readonly blob: Buffer } | undefined;
  /** Every `Authorization` header the HTTP door was sent, to check what git sent. */
  readonly authorizations: string[] = [];

  private constructor(
    private readonly git: GitServer,
    private readonly token: string,
    private readonly http: HttpServer,
    private readonly ssh: ssh2.Server,
  ) {}

  /** Opens both doors; `token` is the only one the HTTP door accepts (with any user name). */
  static async start(git: GitServer, token: string): Promise<PrivateGitFront> {
    const holder: { front?: PrivateGitFront } = {};
    const http = createServer((request, response) => void holder.front!.serveHttp(request, response));
    const hostKey = generateDeployKey('private-git-front').privateKey;
    const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (client) => holder.front!.serveSsh(client));
    holder.front = new PrivateGitFront(git, token, http, ssh);
    await new Promise<void>((resolve) => http.listen(0, git.hostAddress, resolve));
    await new Promise<void>((resolve) => ssh.listen(0, git.hostAddress, resolve));
    return holder.front;
  }

  /** `http://<bridge address>:<port>/<repo>.git`, with no credential in it. */
  httpUrl(repo: string): string {
    return `http://${this.git.hostAddress}:${(this.http.address() as AddressInfo).port}/${repo}.git`;
  }

  /** `ssh://git@<bridge address>:<port>/<repo>.git`. */
  sshUrl(repo: string): string {
    return `ssh://git@${this.git.hostAddress}:${(this.ssh.address() as AddressInfo).port}/${repo}.git`;
  }

  /** Both doors' ports on this host, to open to jobs under the egress policy. */
  get egressEntries(): EgressEntry[] {
    return [this.http, this.ssh].map((server) => {
      const { port } = server.address() as AddressInfo;
      return { block: this.git.hostAddress, ports: { first: port, last: port } };
    });
  }

  /** The one public key (`ssh-ed25519 AAAA… comment`) the ssh door lets in, as GitHub's deploy key setting. */
  authorizeKey(publicKey: string): void {
    const parsed = ssh2.utils.parseKey(publicKey);
    if (parsed instanceof Error) throw parsed;
    this.authorizedKey = { type: parsed.type, blob: parsed.getPublicSSH() };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.http.close(resolve));
    await new Promise((resolve) => this.ssh.close(resolve));
  }

  private async serveHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const authorization = request.headers.authorization ?? '';
    this.authorizations.push(authorization);
    const [, given] = Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
      .toString('utf8')
      .split(/:(.*)/s);
    const url = new URL(request.url ?? '/', 'http://front');
    const repo = REPO_PATH.exec(url.pathname);
    if (given !== this.token || !repo) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="private"' }).end();
      return;
    }
    const env = {
      GIT_PROJECT_ROOT: BARE_ROOT,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      REMOTE_USER: 'tester',
    };
    const output = await this.execInGitServer(['git', 'http-backend'], env, request);
    const split = output.indexOf('\r\n\r\n');
    const head = output.subarray(0, split).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(head.map((line) => line.split(/: (.*)/s).slice(0, 2) as [string, string]));
    const status = Number((headers['Status'] ?? '200').split(' ')[0]);
    delete headers['Status'];
    response.writeHead(status, headers).end(output.subarray(split + 4));
  }

  private serveSsh(client: ssh2.Connection): void {
    client.on('authentication', (context) => {
      const key = this.authorizedKey;
      const ok =
        context.method === 'publickey' &&
        key !== undefined &&
        context.key.algo === key.type &&
        context.key.data.equals(key.blob);
      if (ok) context.accept();
      else context.reject(['publickey']);
    });
    client.on('error', () => undefined);
    client.on('ready', () =>
      client.on('session', (acceptSession) =>
        acceptSession().on('exec', (accept, reject, info) => {
          const repo = /^git-upload-pack '\/?([A-Za-z0-9][A-Za-z0-9._-]*\.git)'$/.exec(info.command)?.[1];
          if (repo === undefined) return reject();
          const channel = accept();
          const child = spawn('docker', [
            'exec',
            '-i',
            this.git.containerId,
            'git-upload-pack',
            `${BARE_ROOT}/${repo}`,
          ]);
          channel.pipe(child.stdin);
          // Not ended by the pipes: ssh must get the exit status before the channel closes, or it fails the fetch.
          child.stdout.pipe(channel, { end: false });
          child.stderr.pipe(channel.stderr, { end: false });
          child.on('close', (code) => {
            channel.exit(code ?? 1);
            channel.end();
          });
        }),
      ),
    );
  }

  /** Runs a command in the git server's container with `env`, `input` on its stdin; resolves to its stdout. */
  private execInGitServer(command: string[], env: Record<string, string>, input: IncomingMessage): Promise<Buffer> {
    const flags = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    const child = spawn('docker', ['exec', '-i', ...flags, this.git.containerId, ...command]);
    input.pipe(child.stdin);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', () => resolve(Buffer.concat(chunks)));
    });
  }
}
