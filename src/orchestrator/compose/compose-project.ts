/**
 * One rendered Compose stack on one Docker host, driven through the `docker-compose` npm package
 * (which runs the real `docker compose` v2 CLI). Every failure names the stack, the host and
 * Compose's own last words.
 */
import { execFile } from 'node:child_process';
import { promisify, stripVTControlCharacters } from 'node:util';
import * as compose from 'docker-compose';
import { composeEnvironment, describeDockerHost, DOCKER_CLI_VARIABLES, type DockerHost } from '../../docker/index.js';
import { GyreError, TimeoutError, UnavailableError } from '../../shared/errors.js';

/** A service of a running stack, as `docker compose ps` reports it. */
export interface ComposeService {
  /** The container's ID: a new one means Compose recreated it. */
  readonly id: string;
  readonly service: string;
  readonly state: string;
  /** `healthy`, `unhealthy`, `starting`, or '' without a health check. */
  readonly health: string;
}

export interface ComposeProjectOptions {
  readonly host: DockerHost;
  /** The folder holding the Compose file (and its `secrets/`). */
  readonly dir: string;
  readonly file: string;
  readonly projectName: string;
  /** Variables Compose needs besides the host's, e.g. a secret read from the environment. */
  readonly env?: Readonly<Record<string, string>>;
}

const execFileAsync = promisify(execFile);

/** How much of a service's log an error about it carries. */
const LOG_TAIL_LINES = 20;

export class ComposeProject {
  constructor(readonly options: ComposeProjectOptions) {}

  get description(): string {
    return `stack ${this.options.projectName} on ${describeDockerHost(this.options.host)}`;
  }

  /**
   * `up -d`: resolves once every container runs. Not `--wait`: that would wait for the health
   * checks' first probe, which the stacks run only every 30 s; {@link waitUntil} checks readiness.
   */
  async up(onLine: (line: string) => void): Promise<void> {
    // `up` leaves a container it does not change as it is, even one that keeps failing (a wrong
    // setting, since fixed in a secret file Compose does not compare). Which ones those are is
    // read before `up`, because a crash-looping container is "running" for a moment between its
    // restarts; after `up`, its next restart would still be a failure from before this start.
    const unproven = await this.keptFailing(await this.ps());
    await this.run('up', (options) =>
      compose.upAll({ ...options, commandOptions: ['--remove-orphans'], callback: lines(onLine) }),
    );
    // Started afresh, they read the settings written now, and a failure is their own.
    const kept = new Set((await this.ps()).map((s) => s.id));
    const failing = unproven.filter((s) => kept.has(s.id)).map((s) => s.service);
    if (failing.length === 0) return;
    onLine(`restarting ${failing.join(', ')}: it was not healthy before this start`);
    await this.run(`restart ${failing.join(' ')}`, (options) => compose.restartMany(failing, options));
  }

  /**
   * The services whose containers keep failing: restarting, unhealthy, or running again after
   * Docker restarted them (its restart count, which a start by hand resets) without having been
   * healthy since. A container merely not probed yet (health `starting` after a start by hand)
   * is not one: restarting it would drain a builder for nothing.
   */
  private async keptFailing(services: readonly ComposeService[]): Promise<ComposeService[]> {
    const starting = services.filter((s) => s.state === 'running' && s.health === 'starting').map((s) => s.id);
    return failingOf(services, starting.length === 0 ? new Set() : await this.restartedByDocker(starting));
  }

  /** Which of these containers Docker's restart policy has restarted since they were started. */
  private async restartedByDocker(ids: readonly string[]): Promise<Set<string>> {
    const out = await this.withDockerEnvironment('docker inspect', (env) =>
      execFileAsync('docker', ['inspect', '--format', '{{.Id}} {{.RestartCount}}', ...ids], { env }).catch(
        (error: unknown) => {
          // A container removed since `ps` fails the command but not the others' lines: it was
          // not restarted, it is gone. Without any line, the failure is the engine's.
          const partial = error as { stdout?: string };
          if (partial.stdout) return { stdout: partial.stdout };
          throw error;
        },
      ),
    );
    const restarted = out.stdout
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter(([, count]) => Number(count) > 0)
      .map(([id]) => id!);
    // `ps` shows short ids, `inspect` full ones.
    return new Set(ids.filter((id) => restarted.some((full) => full.startsWith(id))));
  }

  /**
   * Runs `probe` in the service's container every half second until it exits 0. Fails at once
   * when the container stops running, and after `timeoutMs` with the probe's last failure.
   */
  async waitUntil(service: string, probe: readonly string[], what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = (await this.ps()).find((s) => s.service === service)?.state ?? 'missing';
      if (state !== 'running')
        throw new GyreError(
          `${service} of the ${this.description} is ${state}, not running; ${await this.logHint(service)}`,
        );
      let last: string;
      try {
        await this.exec(service, probe);
        return;
      } catch (error) {
        last = error instanceof Error ? error.message.split('\n').slice(-1)[0]! : String(error);
      }
      if (Date.now() >= deadline)
        throw new TimeoutError(`${what} (${last}); ${await this.logHint(service)}`, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Starts some services alone (`up -d --no-deps`), as a restore starts the database first. */
  async upServices(services: readonly string[]): Promise<void> {
    await this.run(`up ${services.join(' ')}`, (options) =>
      compose.upMany([...services], { ...options, commandOptions: ['--no-deps'] }),
    );
  }

  /** Creates a service's container without starting it, so that files can be put in its volumes first. */
  async createService(service: string): Promise<void> {
    await this.run(`create ${service}`, (options) => compose.createOne(service, options));
  }

  /** Stops a service; `timeoutSeconds` 0 kills it at once instead of waiting for it to finish. */
  async stopService(service: string, timeoutSeconds?: number): Promise<void> {
    await this.run(`stop ${service}`, (options) =>
      compose.execCompose(
        'stop',
        [...(timeoutSeconds === undefined ? [] : ['--timeout', String(timeoutSeconds)]), service],
        options,
      ),
    );
  }

  async down(removeVolumes: boolean): Promise<void> {
    await this.run('down', (options) =>
      compose.downAll({ ...options, commandOptions: ['--remove-orphans', ...(removeVolumes ? ['--volumes'] : [])] }),
    );
  }

  async ps(): Promise<ComposeService[]> {
    const result = await this.run('ps', (options) => compose.execCompose('ps', ['--all', '--format', 'json'], options));
    return parsePs(result.out);
  }

  /**
   * The last lines a service logged, indented, and how to see the rest: for an error that says why
   * the service is not ready. A log that cannot be read is said so, not thrown: the caller is
   * already reporting a failure.
   */
  private async logHint(service: string): Promise<string> {
    const whole = `see the whole log: docker compose -p ${this.options.projectName} logs ${service}`;
    try {
      const result = await this.run(`logs ${service}`, (options) =>
        compose.execCompose(
          'logs',
          ['--no-color', '--no-log-prefix', '--tail', String(LOG_TAIL_LINES), service],
          options,
        ),
      );
      // Compose starts each line with an erase-line sequence even when the output is not a terminal.
      const text = stripVTControlCharacters(`${result.out}${result.err}`).trimEnd();
      return text === '' ? `its log is empty; ${whole}` : `the end of its log:\n${text.replace(/^/gm, '  ')}\n${whole}`;
    } catch (error) {
      return `its log could not be read (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ${whole}`;
    }
  }

  /** Runs a command in a service's container and returns its stdout. */
  async exec(service: string, argv: readonly string[]): Promise<string> {
    const result = await this.run(`exec ${service} ${argv.join(' ')}`, (options) =>
      compose.exec(service, [...argv], { ...options, commandOptions: ['-T'] }),
    );
    return result.out;
  }

  private async run<T extends compose.IDockerComposeResult>(
    what: string,
    call: (options: compose.IDockerComposeOptions) => Promise<T>,
  ): Promise<T> {
    return this.withDockerEnvironment(`docker compose ${what}`, (env) =>
      call({
        cwd: this.options.dir,
        config: this.options.file,
        composeOptions: ['-p', this.options.projectName],
        log: false,
        env: { ...env, ...this.options.env },
      }),
    );
  }

  /** Runs a Docker CLI command (Compose's or the CLI's own) against the stack's host. */
  private async withDockerEnvironment<T>(what: string, call: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
    const target = composeEnvironment(this.options.host);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !(DOCKER_CLI_VARIABLES as readonly string[]).includes(name)),
    );
    try {
      return await call({ ...inherited, ...target.env });
    } catch (error) {
      throw this.failure(what, error);
    } finally {
      target.dispose();
    }
  }

  private failure(what: string, error: unknown): GyreError {
    const result = error as Partial<compose.IDockerComposeResult> | Error;
    const said =
      'err' in result && typeof result.err === 'string'
        ? result.err.trim().split('\n').slice(-8).join('\n')
        : error instanceof Error
          ? error.message
          : String(error);
    const message = `${what} failed for the ${this.description}:\n${said}`;
    // Compose cannot reach the engine: the host is the problem, not the stack.
    if (engineUnreachable(said))
      return new UnavailableError(
        `${message}\ncheck that the Docker Engine on ${describeDockerHost(this.options.host)} is running and reachable`,
      );
    return new GyreError(message, undefined, { cause: error });
  }
}

/**
 * Whether the Docker CLI's words say it could not reach the engine. Only the CLI's own phrases
 * count: a command run by `exec` may print "Connection refused" itself (the HTTP probe does while
 * the app starts), and that says nothing about the engine.
 */
export function engineUnreachable(said: string): boolean {
  return /Cannot connect to the Docker daemon|error during connect|dial-stdio/i.test(said);
}

function lines(onLine: (line: string) => void): (chunk: Buffer) => void {
  return (chunk) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) if (line.trim() !== '') onLine(line.trim());
  };
}

/**
 * Of these services, those that keep failing (see `ComposeProject.keptFailing`), given the ids of
 * the containers Docker's restart policy has restarted.
 */
export function failingOf(services: readonly ComposeService[], restarted: ReadonlySet<string>): ComposeService[] {
  return services.filter(
    (s) =>
      s.state === 'restarting' ||
      (s.state === 'running' && (s.health === 'unhealthy' || (s.health === 'starting' && restarted.has(s.id)))),
  );
}

/** Compose prints one JSON object per line (v2.21+) or one array (older v2). */
export function parsePs(out: string): ComposeService[] {
  const text = out.trim();
  if (text === '') return [];
  type Row = { ID: string; Service: string; State: string; Health?: string };
  const rows: Row[] = text.startsWith('[')
    ? (JSON.parse(text) as Row[])
    : text.split('\n').map((line) => JSON.parse(line) as Row);
  return rows.map((row) => ({ id: row.ID, service: row.Service, state: row.State, health: row.Health ?? '' }));
}
