/**
 * How a `run` step becomes a process in the primary container. The step runs in a session of its
 * own (setsid), whose id is written to a file, so the runner can kill the step's whole process
 * tree later; `docker exec` has no kill of its own.
 */

/** The default working directory of a job. */
export const DEFAULT_WORKING_DIRECTORY = '~/project';

/** Gyre's tools in the primary container (test-splitting.ts), first on every step's PATH. */
export const JOB_BIN_DIR = '/gyre/bin';

/** What the runner learned about the primary image once per job. */
export interface ImageTools {
  readonly hasBash: boolean;
  readonly hasSetsid: boolean;
}

/** The shell's argv: the step's shell, else the job's, else CircleCI's default for the image. */
export function shellArgv(tools: ImageTools, stepShell?: string, jobShell?: string): string[] {
  const chosen = stepShell ?? jobShell;
  if (chosen !== undefined && chosen.trim() !== '') return chosen.trim().split(/\s+/);
  return [tools.hasBash ? '/bin/bash' : '/bin/sh', '-eo', 'pipefail'];
}

/** Quotes a word for POSIX sh. */
export function quoteShell(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A directory as a sh expression. A leading `~` becomes `$HOME` so it is the home of the
 * container's user, which the runner does not know in advance.
 */
export function directoryExpression(dir: string): string {
  if (dir === '~') return '"$HOME"';
  if (dir.startsWith('~/')) return `"$HOME"${quoteShell(dir.slice(1))}`;
  return quoteShell(dir);
}

/** Where a step's session id is kept inside the primary container. */
export function stepPidFile(stepIndex: number): string {
  return `/tmp/.gyre-step-${stepIndex}.pid`;
}

/**
 * The exec argv of a step: put Gyre's bin folder first on PATH, create and enter the working directory, then run the script with the
 * shell. The script is passed as an argument, never spliced into shell text. stderr joins stdout
 * in one pipe because the engine reads two pipes independently and would reorder their lines.
 */
export function stepExecArgv(
  tools: ImageTools,
  shell: readonly string[],
  script: string,
  dir: string,
  stepIndex: number,
): string[] {
  const where = directoryExpression(dir);
  // Gyre's `circleci` (test-splitting.ts) comes first, before one the image may have.
  const inner = `echo $$ > ${stepPidFile(stepIndex)} && PATH="${JOB_BIN_DIR}:$PATH" && export PATH && mkdir -p -- ${where} && cd -- ${where} && exec "$@" 2>&1`;
  const prefix = tools.hasSetsid ? ['setsid', '-w'] : [];
  return [...prefix, '/bin/sh', '-c', inner, 'gyre-step', ...shell, '-c', script];
}

/** Signals a step's session (or, without setsid, its shell) from inside the container. */
export function killStepArgv(tools: ImageTools, stepIndex: number, signal: 'TERM' | 'KILL'): string[] {
  const target = tools.hasSetsid ? `-$(cat ${stepPidFile(stepIndex)})` : `$(cat ${stepPidFile(stepIndex)})`;
  return ['/bin/sh', '-c', `kill -s ${signal} -- ${target}`];
}

/**
 * Sends `signal` to every process of the job in the primary container, one by one: all but the
 * keep-alive (pid 1 and the `sleep` it runs), the `setsid -w` that holds each step's output stream
 * open (so a step's output keeps flowing while it handles the signal) and this shell itself.
 * Zombies are skipped. Exits 0 when there was any: with signal `0` it only asks whether any job
 * process is left, whichever process group it moved to (`timeout`, say, makes its own).
 */
export function signalJobProcessesArgv(signal: 'TERM' | '0'): string[] {
  const script = [
    'found=1',
    'for d in /proc/[0-9]*; do',
    '  p=${d#/proc/}',
    '  if [ "$p" = 1 ] || [ "$p" = $$ ]; then continue; fi',
    '  read -r l 2>/dev/null < "$d/stat" || continue',
    // stat is "pid (comm) state ppid ...", and comm may hold spaces and parentheses.
    '  c=${l#*(}; c=${c%)*}; set -- ${l##*) }',
    '  if [ "$1" = Z ] || [ "$c" = setsid ] || { [ "$2" = 1 ] && [ "$c" = sleep ]; }; then continue; fi',
    `  kill -s ${signal} "$p" 2>/dev/null && found=0`,
    'done',
    'exit $found',
  ].join('\n');
  return ['/bin/sh', '-c', script];
}

/** SIGKILL to every process of the container but its init (dash needs `-s` and `--` for this). */
export const KILL_ALL_ARGV: readonly string[] = ['/bin/sh', '-c', 'kill -s KILL -- -1'];

/** Probes the image once per job; prints one word per tool found. */
export const PROBE_TOOLS_ARGV = [
  '/bin/sh',
  '-c',
  'command -v bash >/dev/null 2>&1 && echo bash; command -v setsid >/dev/null 2>&1 && echo setsid; true',
];

/** Reads the probe's output. */
export function parseToolsProbe(output: string): ImageTools {
  const words = new Set(output.split(/\s+/));
  return { hasBash: words.has('bash'), hasSetsid: words.has('setsid') };
}
