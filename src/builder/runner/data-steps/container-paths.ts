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

/** Prints `$HOME`, the machine (`x86_64`), and the user's uid and gid, one per line. */
export const PROBE_PLACES_ARGV: readonly string[] = ['/bin/sh', '-c', 'printf "%s\\n" "$HOME"; uname -m; id -u; id -g'];

/** Reads that probe's output; an unset `$HOME` is `/`, as a shell without one would take it. */
export function parsePlacesProbe(
  output: string,
  workingDirectory: string,
): ContainerPlaces & ContainerOwner & { machine: string } {
  const [home = '', machine = '', uid = '', gid = ''] = output.split('\n').map((line) => line.trim());
  return { home: home || '/', workingDirectory, machine, uid: Number(uid) || 0, gid: Number(gid) || 0 };
}
