/**
 * The agent's SSH server for SSH into builds: one listener for the whole builder, which tells
 * jobs apart by the user name (`job-<id>`), takes only the public keys the job's lease allows,
 * and bridges each session into the job's primary container by `docker exec`: a shell or a
 * command, with a terminal when the client asks for one, its window size followed, and the exit
 * code passed back; or SFTP (and so `scp`), served by the agent (sftp-bridge.ts); or a local
 * port forward to one of the job's service containers. Every session's and forward's start and
 * end is reported for the audit log.
 *
 * The listener faces the network on a builder host, so it bounds what strangers cost: a
 * connection has 30 s and 6 attempts to authenticate, keepalives find dead peers, and the number
 * of connections is capped.
 */
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import ssh2, { type Connection, type ParsedKey, type ServerChannel, type TcpipRequestInfo } from 'ssh2';
import type { ContainerClient, InteractiveExec } from '../../../docker/index.js';
import { serveSftp } from './sftp-bridge.js';

/** A key that may open sessions into a job, and whose it is. */
export interface AllowedKey {
  /** `ssh-ed25519 AAAA…`. */
  readonly publicKey: string;
  readonly fingerprint: string;
  /** The account, as the audit log names it. */
  readonly account: string;
}

/** Where a job's sessions land. */
export interface SshTarget {
  readonly container: string;
  readonly workdir?: string;
  readonly user?: string;
  readonly env: readonly string[];
  readonly keys: readonly AllowedKey[];
  /**
   * The job's service containers by the names the job reaches them at (`db`, `redis`), with their
   * addresses on the job's network: `ssh -L` may forward to these, and to nothing else.
   */
  readonly services?: Readonly<Record<string, string>>;
}

export interface SessionEvent {
  readonly kind: 'start' | 'end';
  readonly job: string;
  readonly account: string;
  readonly fingerprint: string;
  /** What was opened: a command, `sftp`, or `forward to <host>:<port>`. */
  readonly what: string;
  /** For a command's `end`: its exit code, or undefined when the connection dropped first. */
  readonly exitCode?: number;
}

/** A login shell: bash where the image has it, else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];
const AUTH_WINDOW_MS = 30_000;
const MAX_AUTH_ATTEMPTS = 6;
const MAX_CONNECTIONS = 256;
const FORWARD_CONNECT_TIMEOUT_MS = 10_000;

interface Allowed {
  readonly target: SshTarget;
  readonly keys: readonly { readonly key: ParsedKey; readonly allowed: AllowedKey }[];
  /** Each open connection with the key it came in with. */
  readonly connections: Map<Connection, AllowedKey>;
}

export class SshGateway {
  readonly #jobs = new Map<string, Allowed>();
  readonly #server: ssh2.Server;
  readonly #sockets = new Set<Socket>();

  constructor(
    private readonly containers: ContainerClient,
    hostKey: string,
    private readonly onEvent: (event: SessionEvent) => void = () => undefined,
  ) {
    this.#server = new ssh2.Server(
      { hostKeys: [hostKey], ident: 'Gyre', keepaliveInterval: 15_000, keepaliveCountMax: 3 },
      (client, info) => this.#serve(client, info),
    );
    this.#server.maxConnections = MAX_CONNECTIONS;
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on `port` (0: any free one); resolves to the port. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Lets `keys` open sessions into `user`'s target (`job-<id>`), replacing what it allowed before;
   * connections that came in with a key no longer listed are ended.
   */
  allow(user: string, target: SshTarget): void {
    const keys = target.keys.flatMap((allowed) => {
      const key = ssh2.utils.parseKey(allowed.publicKey);
      return key instanceof Error ? [] : [{ key, allowed }];
    });
    const connections = this.#jobs.get(user)?.connections ?? new Map<Connection, AllowedKey>();
    this.#jobs.set(user, { target, keys, connections });
    const still = new Set(keys.map(({ allowed }) => allowed.fingerprint));
    for (const [connection, key] of connections) if (!still.has(key.fingerprint)) cut(connection);
  }

  /** Refuses new sessions into `user` and ends those open (the job ended or was canceled). */
  revoke(user: string): void {
    const job = this.#jobs.get(user);
    this.#jobs.delete(user);
    for (const connection of job?.connections.keys() ?? []) cut(connection);
  }

  /** How many connections `user` has open. */
  connected(user: string): number {
    return this.#jobs.get(user)?.connections.size ?? 0;
  }

  close(): Promise<void> {
    for (const user of [...this.#jobs.keys()]) this.revoke(user);
    // Connections still in their handshake are dropped too, or close would wait for them.
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Whether `client` still belongs to `user`'s job with an allowed key. */
  #admitted(user: string, client: Connection): Allowed | undefined {
    const job = this.#jobs.get(user);
    return job?.connections.has(client) ? job : undefined;
  }

  #serve(client: Connection, _info: ssh2.ClientInfo): void {
    let user = '';
    let allowed: AllowedKey | undefined;
    let attempts = 0;
    const deadline = setTimeout(() => cut(client), AUTH_WINDOW_MS);
    client.on('authentication', (context) => {
      user = context.username;
      attempts += 1;
      if (attempts > MAX_AUTH_ATTEMPTS) return cut(client);
      const job = this.#jobs.get(user);
      if (context.method !== 'publickey' || job === undefined) return context.reject(['publickey']);
      const match = job.keys.find(
        ({ key }) => key.type === context.key.algo && key.getPublicSSH().equals(context.key.data),
      );
      if (match === undefined) return context.reject(['publickey']);
      // Without a signature the client only asks whether the key would do.
      if (context.signature === undefined) return context.accept();
      // SHA-1 RSA signatures (plain `ssh-rsa`) are refused, as OpenSSH 8.8 and later refuse them.
      if (match.key.type === 'ssh-rsa' && context.hashAlgo === undefined) return context.reject(['publickey']);
      if (match.key.verify(context.blob!, context.signature, context.hashAlgo) !== true)
        return context.reject(['publickey']);
      allowed = match.allowed;
      context.accept();
    });
    client.on('ready', () => {
      clearTimeout(deadline);
      const job = this.#jobs.get(user);
      // By fingerprint: a renewal of the keys between the signature and here makes new objects.
      if (
        job === undefined ||
        allowed === undefined ||
        !job.keys.some((k) => k.allowed.fingerprint === allowed!.fingerprint)
      )
        return cut(client);
      const key = allowed;
      job.connections.set(client, key);
      client.once('close', () => job.connections.delete(client));
      client.on('session', (accept, reject) => {
        const admitted = this.#admitted(user, client);
        if (!admitted) return reject();
        this.#session(accept(), user, admitted.target, key);
      });
      client.on('tcpip', (accept, reject, info) => {
        const admitted = this.#admitted(user, client);
        if (!admitted) return reject();
        forward(admitted.target, info, accept, reject, (kind) =>
          this.#report({
            kind,
            job: user,
            account: key.account,
            fingerprint: key.fingerprint,
            what: `forward to ${info.destIP}:${info.destPort}`,
          }),
        );
      });
    });
    client.once('close', () => clearTimeout(deadline));
    // A client that vanishes mid-handshake is no concern of the agent's.
    client.on('error', () => undefined);
  }

  /** Reports an event; a reporter that fails must not take a session down with it. */
  #report(event: SessionEvent): void {
    try {
      this.onEvent(event);
    } catch {
      // The audit trail is the reporter's to keep; the session goes on.
    }
  }

  #session(session: ssh2.Session, job: string, target: SshTarget, key: AllowedKey): void {
    // Kept up to date from the first `pty` on, so a resize that comes while the command starts is not lost.
    let terminal: { rows: number; columns: number; term: string } | undefined;
    let running: InteractiveExec | undefined;
    session.on('pty', (accept, _reject, info) => {
      terminal = { rows: info.rows, columns: info.cols, term: info.term };
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      accept?.();
      if (terminal) terminal = { ...terminal, rows: info.rows, columns: info.cols };
      void running?.resize(info.rows, info.cols).catch(() => undefined);
    });
    const start = (channel: ServerChannel, cmd: readonly string[], what: string) => {
      void this.#bridge(channel, cmd, what, job, target, key, () => terminal).then((exec) => {
        running = exec;
        // The size may have changed while the command started.
        if (exec && terminal) void exec.resize(terminal.rows, terminal.columns).catch(() => undefined);
      });
    };
    session.on('shell', (accept) => start(accept(), SHELL, 'shell'));
    session.on('exec', (accept, _reject, info) => start(accept(), ['/bin/sh', '-c', info.command], info.command));
    session.on('sftp', (accept) => {
      const event = { job, account: key.account, fingerprint: key.fingerprint, what: 'sftp' };
      this.#report({ kind: 'start', ...event });
      const sftp = accept();
      sftp.once('close', () => this.#report({ kind: 'end', ...event }));
      serveSftp(sftp, this.containers, { container: target.container, workdir: target.workdir ?? '/' });
    });
  }

  async #bridge(
    channel: ServerChannel,
    cmd: readonly string[],
    what: string,
    job: string,
    target: SshTarget,
    key: AllowedKey,
    terminal: () => { rows: number; columns: number; term: string } | undefined,
  ): Promise<InteractiveExec | undefined> {
    const event = { job, account: key.account, fingerprint: key.fingerprint, what };
    const tty = terminal();
    let exec: InteractiveExec;
    try {
      exec = await this.containers.interactive(target.container, {
        cmd,
        tty: tty !== undefined,
        env: [...target.env, ...(tty ? [`TERM=${tty.term}`] : [])],
        ...(target.workdir !== undefined && { workdir: target.workdir }),
        ...(target.user !== undefined && { user: target.user }),
      });
    } catch {
      channel.stderr.write("gyre: the job's container cannot be reached; it may have ended\r\n");
      channel.exit(255);
      channel.end();
      return undefined;
    }
    this.#report({ kind: 'start', ...event });
    // Errors on either side (the engine resets, the client vanishes) end the bridge, never the
    // agent: the connection to the engine has its own error listener (interactive()), so pipe()
    // does not rethrow. Not pipeline(): it would destroy the channel before the exit code is sent.
    channel.pipe(exec.stdin);
    exec.stdout.on('error', () => channel.destroy());
    exec.stdout.pipe(channel, { end: false });
    exec.stderr.pipe(channel.stderr, { end: false });
    channel.on('error', () => exec.close());
    // The client hung up: the connection to the command goes (it may go on running in the container).
    channel.once('close', () => exec.close());
    exec.exited.then(
      (code) => {
        this.#report({ kind: 'end', ...event, exitCode: code });
        channel.exit(code);
        channel.end();
      },
      () => {
        this.#report({ kind: 'end', ...event });
        channel.end();
      },
    );
    return exec;
  }
}

/** Ends a connection and drops its socket, so a client that ignores the goodbye gets nothing more. */
function cut(client: Connection): void {
  client.end();
  setTimeout(() => (client as unknown as { _sock?: Socket })._sock?.destroy(), 1_000).unref();
}

/**
 * `ssh -L port:db:5432`: a connection to one of the job's service containers, by its name or its
 * address; anything else is refused, so a session reaches no more than the job's steps do.
 */
function forward(
  target: SshTarget,
  info: TcpipRequestInfo,
  accept: () => ServerChannel,
  reject: () => void,
  report: (kind: 'start' | 'end') => void,
): void {
  const services = target.services ?? {};
  // Own names only: `constructor` or `__proto__` must not find something on the object's prototype.
  const named = Object.hasOwn(services, info.destIP) ? services[info.destIP] : undefined;
  const address = named ?? (Object.values(services).includes(info.destIP) ? info.destIP : undefined);
  if (typeof address !== 'string' || isIP(address) === 0) return reject();
  const socket = connect({ port: info.destPort, host: address, timeout: FORWARD_CONNECT_TIMEOUT_MS });
  socket.once('timeout', () => socket.destroy(new Error('no answer')));
  socket.once('error', () => reject());
  socket.once('connect', () => {
    socket.setTimeout(0);
    socket.removeAllListeners('error');
    const channel = accept();
    report('start');
    channel.on('error', () => socket.destroy());
    socket.on('error', () => channel.destroy());
    socket.once('close', () => report('end'));
    channel.pipe(socket).pipe(channel);
  });
}
