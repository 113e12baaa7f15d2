/**
 * Paths of the data steps as CircleCI resolves them: `~` is the primary container's `$HOME`, a
 * relative path is relative to the job's working directory (itself often `~/project`). Resolved
 * on the builder, since only the running container knows its home.
 */
import { posix } from 'node:path';

/** What the primary container said about itself when the job started. */
export interface ContainerPlaces {
  /** `$HOME` in the primary container. */
  readonly home: string;
  /** The job's working directory, as the config wrote it. */
  readonly workingDirectory: string;
}

/** An absolute path for `path`, without a trailing slash. */
export function resolveInContainer(path: string, places: ContainerPlaces): string {
  const expanded = expandHome(path, places.home);
  if (posix.isAbsolute(expanded)) return posix.normalize(expanded).replace(/(.)\/$/, '$1');
  const base = expandHome(places.workingDirectory, places.home);
  return posix.resolve(posix.isAbsolute(base) ? base : posix.join(places.home, base), expanded);
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? posix.join(home, path.slice(2)) : path;
}

/** The user the job's steps run as, by number: files put into the container belong to it. */
export interface ContainerOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Prints `$HOME`, the machine (`x86_64`), the user's uid and gid, and the CPU's family and model
 * from /proc/cpuinfo (absent on some CPUs), one per line.
 */
export const PROBE_PLACES_ARGV: readonly string[] = [
  '/bin/sh',
  '-c',
  'printf "%s\\n" "$HOME"; uname -m; id -u; id -g; ' +
    "sed -n -e 's/^cpu family[[:space:]]*: *//p' -e 's/^model[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 2",
];

/**
 * Reads that probe's output; an unset `$HOME` is `/`, as a shell without one would take it. `arch`
 * is CircleCI's `{{ arch }}`: `arch1-linux-amd64-6_85`, without the CPU part where there is none.
 */
export function parsePlacesProbe(
  output: string,
  workingDirectory: string,
): ContainerPlaces & ContainerOwner & { arch: string } {
  const [home = '', machine = '', uid = '', gid = '', family = '', model = ''] = output
    .split('\n')
    .map((line) => line.trim());
  return {
    home: home || '/',
    workingDirectory,
    arch: archOf(machine, family, model),
    uid: Number(uid) || 0,
    gid: Number(gid) || 0,
  };
}

const GO_ARCHITECTURES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i686: '386',
};

function archOf(machine: string, family: string, model: string): string {
  const cpu = GO_ARCHITECTURES[machine] ?? machine;
  return `arch1-linux-${cpu}${family && model ? `-${family}_${model}` : ''}`;
}
