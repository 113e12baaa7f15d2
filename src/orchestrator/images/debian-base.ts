/**
 * The offline Debian base: `debootstrap --variant=minbase` from a Debian mirror on this machine,
 * imported into the engine as a rootfs tarball. No container registry is involved.
 */
import { LABELS } from '../../shared/labels.js';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DockerClient, ProgressListener } from '../../docker/index.js';
import { GyreError, InvalidInputError } from '../../shared/errors.js';
import { DEBIAN_SUITE } from './build-args.js';
import { createStagingDir } from './context.js';
import { findExecutable, runCommand, startCommand } from './host-commands.js';

/** Label that marks a base image Gyre made itself, without a registry. */
export const OFFLINE_BASE_LABEL = LABELS.base;

/**
 * Files that make the minbase rootfs behave like `debian:*-slim`: no recommends, no docs,
 * no package cache left behind in layers.
 */
const SLIM_CONFIG: Readonly<Record<string, string>> = {
  'etc/apt/apt.conf.d/90gyre-slim':
    'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nDPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };\n',
  'etc/dpkg/dpkg.cfg.d/90gyre-slim':
    'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n',
};

/** Fails early, with the fix, when this machine cannot run debootstrap. */
export function checkDebootstrapUsable(): string {
  const problems = [];
  if (process.getuid?.() !== 0)
    problems.push({
      input: 'user',
      message: 'building the Debian base with debootstrap needs root',
      hint: 'run `gyre images build --offline` as root (sudo), or provide the base image (GYRE_BASE_DEBIAN_IMAGE) another way',
    });
  const debootstrap = findExecutable('debootstrap');
  if (debootstrap === undefined)
    problems.push({
      input: 'debootstrap',
      message: 'is not installed on this machine',
      hint: 'install it: apt-get install -y debootstrap',
    });
  if (findExecutable('tar') === undefined)
    problems.push({
      input: 'tar',
      message: 'is not installed on this machine',
      hint: 'install it: apt-get install -y tar',
    });
  if (problems.length > 0) throw new InvalidInputError('gyre images build --offline', problems);
  return debootstrap!;
}

/** Builds the Debian base rootfs with debootstrap and imports it as `tag`; resolves to the image id. */
export async function buildDebianBase(
  docker: DockerClient,
  tag: string,
  mirror: string,
  onLine: ProgressListener,
): Promise<string> {
  const debootstrap = checkDebootstrapUsable();
  const dir = await createStagingDir('debian-rootfs');
  try {
    await runCommand(debootstrap, ['--variant=minbase', DEBIAN_SUITE, dir, mirror], onLine);
    await slimRootfs(dir);
    return await importRootfs(docker, dir, tag, onLine);
  } finally {
    await removeRootfs(dir);
  }
}

async function slimRootfs(dir: string): Promise<void> {
  for (const [path, content] of Object.entries(SLIM_CONFIG)) await writeFile(join(dir, path), content);
  // The engine provides these per container; the host's copies must not leak into the image.
  for (const path of ['etc/resolv.conf', 'etc/hostname', 'etc/hosts']) await rm(join(dir, path), { force: true });
  await writeFile(join(dir, 'etc/hostname'), 'localhost\n');
  for (const path of ['var/cache/apt/archives', 'var/lib/apt/lists']) await emptyDir(join(dir, path));
}

async function importRootfs(docker: DockerClient, dir: string, tag: string, onLine: ProgressListener): Promise<string> {
  // --numeric-owner: keep the rootfs's own uids, whatever users this machine has.
  const tar = startCommand(
    'tar',
    ['--numeric-owner', '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '-C', dir, '-c', '.'],
    onLine,
  );
  const changes = [
    `LABEL ${OFFLINE_BASE_LABEL}=offline ${LABELS.image}=base-debian`,
    'ENV LANG=C.UTF-8',
    'CMD ["bash"]',
  ];
  const [id] = await Promise.all([
    docker.importImage({ rootfs: tar.child.stdout as Readable, tag, changes }, onLine),
    tar.done,
  ]);
  return id;
}

/** debootstrap mounts /proc and /sys inside the rootfs; a failed run can leave them mounted. */
async function removeRootfs(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((line) => line.split(' ')[1] ?? '');
  const inside = mounts
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const point of inside) await runCommand('umount', ['-l', point], () => undefined);
  const still = (await readFile('/proc/self/mounts', 'utf8')).includes(` ${dir}/`);
  if (still)
    throw new GyreError(
      `${dir} still has file systems mounted inside it; unmount them and remove the directory by hand`,
    );
  await rm(dir, { recursive: true, force: true });
}

async function emptyDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await mkdir(join(path, 'partial'), { recursive: true });
}
