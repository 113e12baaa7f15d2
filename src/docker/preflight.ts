/**
 * The check every orchestrator command runs before it changes anything on a host: the engine
 * answers, is new enough and runs Linux containers. Failures name the host and say what to check.
 */
import { formatDuration } from '../shared/durations.js';
import { GyreError, InvalidInputError, UnavailableError, type InputProblem } from '../shared/errors.js';
import { engineErrorMessage, statusCodeOf } from './errors.js';
import { describeDockerHost, type DockerHost } from './host.js';
import { unreachableHints } from './host-hints.js';
import type { EngineClient, EngineVersion } from './types.js';

/** Engine API of Docker 20.10, the oldest engine Gyre supports. */
export const MIN_ENGINE_API_VERSION = '1.41';

/** How long the engine may take to answer its first ping. */
export const DEFAULT_PREFLIGHT_TIMEOUT_MS = 20_000;

/** How patient the preflight is. */
export interface PreflightOptions {
  /** How long to wait for the engine to answer a ping. @default DEFAULT_PREFLIGHT_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** What a command learns about an engine that passed the preflight. */
export interface EngineFacts extends EngineVersion {
  readonly cpus: number;
  readonly memoryBytes: number;
  /** The engine's host name. */
  readonly name: string;
}

/**
 * Pings the engine, then checks its version and OS.
 * @throws UnavailableError when the engine does not answer in time or answers with an error
 * @throws InvalidInputError when it is older than Docker 20.10 or does not run Linux containers
 */
export async function preflightDockerHost(client: EngineClient, options: PreflightOptions = {}): Promise<EngineFacts> {
  await pingWithin(client, options.timeoutMs ?? DEFAULT_PREFLIGHT_TIMEOUT_MS);
  const version = await client.version();
  const problems = engineProblems(client.host, version);
  if (problems.length > 0) throw new InvalidInputError(`Docker host ${describeDockerHost(client.host)}`, problems);
  const info = await client.info();
  return { ...version, cpus: info.cpus, memoryBytes: info.memoryBytes, name: info.name };
}

/** The reasons Gyre cannot use an engine of this version; empty when it can. */
export function engineProblems(host: DockerHost, version: EngineVersion): InputProblem[] {
  const where = describeDockerHost(host);
  const problems: InputProblem[] = [];
  const api = parseApiVersion(version.apiVersion);
  const minimum = parseApiVersion(MIN_ENGINE_API_VERSION)!;
  const engine = `Docker ${version.version} (Engine API ${version.apiVersion})`;
  if (api === undefined) {
    problems.push({
      input: engine,
      message: 'is an Engine API version Gyre cannot read; is this a Docker Engine?',
      hint: `point --host at a Docker Engine 20.10 or newer instead of ${where}`,
    });
  } else if (api[0] < minimum[0] || (api[0] === minimum[0] && api[1] < minimum[1])) {
    problems.push({
      input: engine,
      message: `is too old: Gyre needs Docker 20.10 or newer (Engine API ${MIN_ENGINE_API_VERSION} or later)`,
      hint: `upgrade Docker Engine on ${where}, or pick another host with --host`,
    });
  }
  if (version.os !== 'linux') {
    problems.push({
      input: `engine OS ${version.os}`,
      message: 'is not linux: Gyre runs Linux containers only',
      hint: `pick a host whose engine runs Linux containers (Docker Desktop: "Switch to Linux containers")`,
    });
  }
  return problems;
}

/** `1.41` → [1, 41]. */
function parseApiVersion(text: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** A ping that gives up after `timeoutMs`, even when the connection itself would hang on. */
async function pingWithin(client: EngineClient, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const timedOut = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener(
      'abort',
      () => reject(new Error(`no answer within ${formatDuration(timeoutMs)}`)),
      { once: true },
    );
  });
  try {
    await Promise.race([client.ping(controller.signal), timedOut]);
  } catch (error) {
    throw unreachable(client.host, error, controller.signal.aborted ? timeoutMs : undefined);
  } finally {
    clearTimeout(timer);
  }
}

function unreachable(host: DockerHost, error: unknown, timeoutMs: number | undefined): UnavailableError {
  const where = describeDockerHost(host);
  const hints = unreachableHints(host);
  if (timeoutMs !== undefined)
    return new UnavailableError(
      `Docker host ${where} did not answer a ping within ${formatDuration(timeoutMs)}. ${hints}`,
      { cause: error },
    );
  if (error instanceof UnavailableError) return error;
  // The adapter's message names the host too; quote only what went wrong.
  const cause = error instanceof GyreError && error.cause !== undefined ? error.cause : error;
  const status = statusCodeOf(cause);
  const detail = `${status === undefined ? '' : `HTTP ${status}: `}${engineErrorMessage(cause)}`;
  return new UnavailableError(
    `Docker host ${where} did not answer a ping as a Docker Engine does: ${detail}. ${hints}`,
    { cause: error },
  );
}
