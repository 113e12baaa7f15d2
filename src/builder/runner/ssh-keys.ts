/**
 * The `add_ssh_keys` step: puts the project's SSH keys the step names (every key it has, when the
 * step names none) into `~/.ssh` of the primary container, as CircleCI does: each key as
 * `id_rsa_<its MD5 fingerprint in hex>`, and a `Host` entry naming it as the `IdentityFile` for
 * the key's hostname (every host for a key without one) appended to `~/.ssh/config`.
 *
 * The files go in as ssh-folder.ts writes them (the archive API, modes ssh accepts, owned by the
 * job's user), so the keys are in no process's environment or command line. An image's own
 * `~/.ssh/config` is kept and appended to; a `~/.ssh` or config that is a link or of another kind
 * fails the step rather than be replaced.
 */
import { posix } from 'node:path';
import type { LeasedSshKey } from '../../protocol/index.js';
import { messageOf } from '../../shared/errors.js';
import { namesKey } from '../../shared/ssh-keys.js';
import { readSshFile, sshFolderOf, withNewline, writeSshFiles, type SshFolderContext } from './ssh-folder.js';
import { failed, SUCCEEDED, type DataStepEnd } from './data-steps/data-step-context.js';
import type { AddSshKeysStep, RunnerJob } from './types.js';

/** What the step needs of the job and its primary container. */
export interface SshKeysContext extends SshFolderContext {
  readonly job: Pick<RunnerJob, 'sshKeys' | 'secretsWithheld'>;
  /** A line in the step's log. */
  log(line: string): void;
}

/** Runs the step; a failure to write the keys fails the step with the reason, never the builder. */
export async function addSshKeys(ctx: SshKeysContext, step: AddSshKeysStep): Promise<DataStepEnd> {
  if (ctx.job.secretsWithheld)
    return failed(
      ctx,
      "this build of a fork's pull request gets no SSH keys, as the project does not pass secrets to forks; a maintainer can allow that in the project's settings, at the risk that the fork's code reads them",
    );
  const available = ctx.job.sshKeys ?? [];
  const missing = step.fingerprints.filter((written) => !available.some((key) => namesKey(written, key)));
  if (missing.length > 0)
    return failed(
      ctx,
      `the project has no SSH key with the fingerprint ${missing.join(', ')}; a maintainer adds one in the project's settings (SSH keys) or with POST /api/v1/projects/ID/ssh-keys`,
    );
  const keys =
    step.fingerprints.length === 0
      ? available
      : available.filter((key) => step.fingerprints.some((written) => namesKey(written, key)));
  if (keys.length === 0) {
    ctx.log('The project has no SSH keys: nothing to add.');
    return SUCCEEDED;
  }
  try {
    return await writeKeys(ctx, keys);
  } catch (error) {
    return failed(ctx, `add_ssh_keys could not write the keys: ${messageOf(error)}`);
  }
}

/** `id_rsa_` and the MD5 fingerprint without colons, whatever the key's type, as CircleCI names them. */
export function keyFileName(key: Pick<LeasedSshKey, 'md5'>): string {
  return `id_rsa_${key.md5.replaceAll(':', '')}`;
}

async function writeKeys(ctx: SshKeysContext, keys: readonly LeasedSshKey[]): Promise<DataStepEnd> {
  const folder = await readSshFile(ctx, 'config');
  if (typeof folder === 'string') return failed(ctx, folder);
  const sshDir = sshFolderOf(ctx);
  const files = [
    ...keys.map((key) => ({ name: keyFileName(key), body: withNewline(key.privateKey) })),
    { name: 'config', body: folder.text + keys.map((key) => hostEntry(key, sshDir)).join('') },
  ];
  await writeSshFiles(ctx, files, !folder.exists);
  for (const key of keys)
    ctx.log(
      `Added ${key.sha256} (${key.md5}) for ${key.hostname ?? 'every host'} as ${posix.join(sshDir, keyFileName(key))}`,
    );
  return SUCCEEDED;
}

/** `IdentityFile` quoted, and `%` (ssh's token sign) doubled, so any home path reads back as it is. */
function hostEntry(key: LeasedSshKey, sshDir: string): string {
  const file = posix.join(sshDir, keyFileName(key)).replaceAll('%', '%%');
  return `\nHost ${key.hostname ?? '*'}\n  IdentitiesOnly no\n  IdentityFile "${file}"\n`;
}
