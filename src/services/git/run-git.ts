/**
 * The one place Gyre starts git. No shell: arguments go to the binary as an array. Each command
 * runs in its own process group with a time limit, so a hung fetch is killed together with its
 * helpers (`git-remote-https`, `ssh`) instead of leaking them.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { formatDuration } from '../../shared/durations.js';
import { GitError } from './git-error.js';

const DEFAULT_MAX_STDOUT_BYTES = 16 * 1024 * 1024;
const MAX_STDERR_BYTES = 16 * 1024;

/** One git command. */
export interface GitInvocation {
  /** The git subcommand, such as `fetch`; named in timeout messages. */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** The repository, already redacted; named in error messages. */
  readonly repository: string;
  /** Stop reading (and kill git) past this many bytes of stdout. @default 16 MiB */
  readonly maxStdoutBytes?: number;
}

/** How a git command ended. A non-zero exit code is not an error here; the caller knows what it means. */
export interface GitOutcome {
  readonly exitCode: number;
  readonly stdout: Buffer;
  /** The last 16 KiB of stderr. */
  readonly stderr: string;
  /** True when stdout passed `maxStdoutBytes` and git was killed. */
  readonly stdoutTruncated: boolean;
}

/**
 * Runs git and collects its output. Rejects only when git cannot be started or runs out of time,
 * with a {@link GitError} that names the command, the repository and the wait.
 */
export function runGit(invocation: GitInvocation): Promise<GitOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [invocation.command, ...invocation.args], {
      cwd: invocation.cwd,
      env: invocation.env,
      shell: false,
      // stdin closed and a new session (no controlling terminal): git and ssh cannot prompt.
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let settled = false;
    // Settles once. After a kill it does not wait for 'close', which a helper that escaped the
    // process group could delay forever by holding the pipes open.
    const settle = (result: GitOutcome | GitError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result instanceof GitError) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      killProcessGroup(child);
      settle(timeoutError(invocation));
    }, invocation.timeoutMs);
    const output = collectOutput(child, invocation.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES, () => {
      killProcessGroup(child);
      settle(output.outcome(-1, true));
    });
    child.once('error', (error) => {
      killProcessGroup(child);
      settle(
        new GitError(
          'git-failed',
          `Could not run \`git ${invocation.command}\` for ${invocation.repository}: ${error.message}. Check that git is installed and on PATH`,
          { cause: error },
        ),
      );
    });
    child.once('close', (code) => settle(output.outcome(code ?? -1, false)));
  });
}

/** Buffers stdout up to `maxStdout` bytes (calling `onOverflow` past it) and the tail of stderr. */
function collectOutput(
  child: ChildProcessByStdio<null, Readable, Readable>,
  maxStdout: number,
  onOverflow: () => void,
) {
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > maxStdout) onOverflow();
    else stdout.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-MAX_STDERR_BYTES);
  });
  return {
    outcome: (exitCode: number, stdoutTruncated: boolean): GitOutcome => ({
      exitCode,
      stdout: Buffer.concat(stdout),
      stderr,
      stdoutTruncated,
    }),
  };
}

function timeoutError(invocation: GitInvocation): GitError {
  return new GitError(
    'timeout',
    `Timed out after ${formatDuration(invocation.timeoutMs)} waiting for \`git ${invocation.command}\` on repository ${invocation.repository}. ` +
      'Check that the services box can reach the git host (DNS, proxy, firewall), or raise the git timeout for very large repositories',
  );
}

function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole group, so helpers die with git.
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: the group already exited between the timer firing and the kill; nothing to do.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') child.kill('SIGKILL');
  }
}

/** The last few lines of git's stderr on one line without a final period, for error messages; the caller redacts them. */
export function summariseStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // Five lines keep ssh's own reason ("Connection refused") above git's generic advice.
  const summary = lines.slice(-5).join(' / ').replace(/\.+$/, '');
  return summary.length > 600 ? `…${summary.slice(-600)}` : summary || 'git printed no error message';
}

/**
 * The environment for git: the process's own (so `GIT_SSL_CAINFO`, `https_proxy`, `HOME` and its
 * config keep working) plus settings that forbid prompts and limit transports.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv, allowFileUrls: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    // Also covers redirects and anything git decides to fetch on its own.
    GIT_ALLOW_PROTOCOL: allowFileUrls ? 'https:http:ssh:git:file' : 'https:http:ssh:git',
    GIT_LITERAL_PATHSPECS: '1',
  };
  // BatchMode makes ssh fail instead of asking for a passphrase or an unknown host key; an
  // admin's own GIT_SSH or GIT_SSH_COMMAND wins.
  if (base.GIT_SSH === undefined && base.GIT_SSH_COMMAND === undefined) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  return env;
}
