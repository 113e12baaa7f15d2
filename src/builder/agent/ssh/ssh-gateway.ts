/**
 * The agent's SSH server for SSH into builds: one listener for the whole builder, which tells
 * jobs apart by the user name (`job-<id>`), takes only the public keys the job's lease allows,
 * and bridges each session into the job's primary container by `docker exec`: a shell or a
 * command, with a terminal when the client asks for one, its window size followed, and the exit
 * code passed back; or SFTP (and so `scp`), served by the agent (sftp-bridge.ts); or a local
 * port forward to one of the job's service containers. Every session's start and end is reported for the audit log.
 */
import { connect, type AddressInfo } from 'node:net';
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
  /** For `end`: the command's exit code, or undefined when the connection dropped first. */
  readonly exitCode?: number;
}

/** A login shell: bash where the image has it, else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

interface Allowed {
  readonly target: SshTarget;
  readonly keys: readonly { readonly key: ParsedKey; readonly allowed: AllowedKey }[];
  readonly connections: Set<Connection>;
}

export class SshGateway {
  readonly #jobs = new Map<string, Allowed>();
  readonly #server: ssh2.Server;

  constructor(
    private readonly containers: ContainerClient,
    hostKey: string,
    private readonly onEvent: (event: SessionEvent) => void = () => undefined,
  ) {
    this.#server = new ssh2.Server({ hostKeys: [hostKey], ident: 'Gyre' }, (client) => this.#serve(client));
  }

  /** Listens on `port` (0: any free one); resolves to the port. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve((this.#server.address() as AddressInfo).port));
    });
  }

  /** Lets `keys` open sessions into `user`'s target (`job-<id>`), replacing what it allowed before. */
  allow(user: string, target: SshTarget): void {
    const keys = target.keys.flatMap((allowed) => {
      const key = ssh2.utils.parseKey(allowed.publicKey);
      return key instanceof Error ? [] : [{ key, allowed }];
    });
    const connections = this.#jobs.get(user)?.connections ?? new Set<Connection>();
    this.#jobs.set(user, { target, keys, connections });
  }

  /** Refuses new sessions into `user` and ends those open (the job ended or was canceled). */
  revoke(user: string): void {
    const job = this.#jobs.get(user);
    this.#jobs.delete(user);
    for (const connection of job?.connections ?? []) connection.end();
  }

  /** How many connections `user` has open. */
  connected(user: string): number {
    return this.#jobs.get(user)?.connections.size ?? 0;
  }

  close(): Promise<void> {
    for (const user of [...this.#jobs.keys()]) this.revoke(user);
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(client: Connection): void {
    let user = '';
    let allowed: AllowedKey | undefined;
    client.on('authentication', (context) => {
      user = context.username;
      const job = this.#jobs.get(user);
      if (context.method !== 'publickey' || job === undefined) return context.reject(['publickey']);
      const match = job.keys.find(
        ({ key }) => key.type === context.key.algo && key.getPublicSSH().equals(context.key.data),
      );
      if (match === undefined) return context.reject(['publickey']);
      // Without a signature the client only asks whether the key would do.
      if (context.signature === undefined) return context.accept();
      if (match.key.verify(context.blob!, context.signature, context.hashAlgo) !== true)
        return context.reject(['publickey']);
      allowed = match.allowed;
      context.accept();
    });
    client.on('ready', () => {
      const job = this.#jobs.get(user);
      if (job === undefined || allowed === undefined) {
        client.end();
        return;
      }
      job.connections.add(client);
      client.once('close', () => job.connections.delete(client));
      client.on('session', (accept) => this.#session(accept(), user, job.target, allowed!));
      client.on('tcpip', (accept, reject, info) => forward(job.target, info, accept, reject));
    });
    // A client that vanishes mid-handshake is no concern of the agent's.
    client.on('error', () => undefined);
  }

  #session(session: ssh2.Session, job: string, target: SshTarget, key: AllowedKey): void {
    let terminal: { rows: number; columns: number; term: string } | undefined;
    let running: InteractiveExec | undefined;
    session.on('pty', (accept, _reject, info) => {
      terminal = { rows: info.rows, columns: info.cols, term: info.term };
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      accept?.();
      void running?.resize(info.rows, info.cols).catch(() => undefined);
    });
    const start = (channel: ServerChannel, cmd: readonly string[]) => {
      void this.#bridge(channel, cmd, job, target, key, terminal).then((exec) => (running = exec));
    };
    session.on('shell', (accept) => start(accept(), SHELL));
    session.on('sftp', (accept) => {
      this.onEvent({ kind: 'start', job, account: key.account, fingerprint: key.fingerprint });
      const sftp = accept();
      sftp.once('close', () => this.onEvent({ kind: 'end', job, account: key.account, fingerprint: key.fingerprint }));
      serveSftp(sftp, this.containers, { container: target.container, workdir: target.workdir ?? '/' });
    });
    session.on('exec', (accept, _reject, info) => start(accept(), ['/bin/sh', '-c', info.command]));
  }

  async #bridge(
    channel: ServerChannel,
    cmd: readonly string[],
    job: string,
    target: SshTarget,
    key: AllowedKey,
    terminal: { rows: number; columns: number; term: string } | undefined,
  ): Promise<InteractiveExec | undefined> {
    const event = { job, account: key.account, fingerprint: key.fingerprint };
    let exec: InteractiveExec;
    try {
      exec = await this.containers.interactive(target.container, {
        cmd,
        tty: terminal !== undefined,
        env: [...target.env, ...(terminal ? [`TERM=${terminal.term}`] : [])],
        ...(target.workdir !== undefined && { workdir: target.workdir }),
        ...(target.user !== undefined && { user: target.user }),
      });
    } catch (error) {
      channel.stderr.write(`gyre: the job's container cannot be reached: ${(error as Error).message}\r\n`);
      channel.exit(255);
      channel.end();
      return undefined;
    }
    this.onEvent({ kind: 'start', ...event });
    if (terminal) await exec.resize(terminal.rows, terminal.columns).catch(() => undefined);
    channel.pipe(exec.stdin);
    exec.stdout.pipe(channel, { end: false });
    exec.stderr.pipe(channel.stderr, { end: false });
    // The client hung up: the command gets a hang-up too.
    channel.once('close', () => exec.close());
    exec.exited.then(
      (code) => {
        this.onEvent({ kind: 'end', ...event, exitCode: code });
        channel.exit(code);
        channel.end();
      },
      () => {
        this.onEvent({ kind: 'end', ...event });
        channel.end();
      },
    );
    return exec;
  }
}

/**
 * `ssh -L port:db:5432`: a connection to one of the job's service containers, by its name or its
 * address; anything else is refused, so a session reaches no more than the job's steps do.
 */
function forward(target: SshTarget, info: TcpipRequestInfo, accept: () => ServerChannel, reject: () => void): void {
  const services = target.services ?? {};
  const address = services[info.destIP] ?? (Object.values(services).includes(info.destIP) ? info.destIP : undefined);
  if (address === undefined) return reject();
  const socket = connect(info.destPort, address);
  socket.once('error', () => reject());
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    const channel = accept();
    socket.on('error', () => channel.destroy());
    channel.on('error', () => socket.destroy());
    channel.pipe(socket).pipe(channel);
  });
}
