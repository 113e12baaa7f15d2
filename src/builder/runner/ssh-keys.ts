/**
 * The `add_ssh_keys` step: puts the project's SSH keys the step names (every key it has, when the
 * step names none) into `~/.ssh` of the primary container, as CircleCI does: each key as
 * `id_rsa_<its MD5 fingerprint in hex>`, and a `Host` entry naming it as the `IdentityFile` for
 * the key's hostname (every host for a key without one) appended to `~/.ssh/config`.
 *
 * The files go in through the engine's archive API, owned by the user the steps run as with
 * modes ssh accepts (0600; 0700 for `~/.ssh` when the step makes it), so the keys are in no
 * process's environment or command line and the image needs no tools. An image's own
 * `~/.ssh/config` is kept and appended to; a `~/.ssh` or config that is a link or of another kind
 * fails the step rather than be replaced.
 */
import { posix } from 'node:path';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import type { LeasedSshKey } from '../../protocol/index.js';
import { messageOf } from '../../shared/errors.js';
import { namesKey } from '../../shared/ssh-keys.js';
import type { ContainerOwner } from './data-steps/container-paths.js';
import { eachEntry, nodeStream } from './data-steps/archives.js';
import { failed, SUCCEEDED, type DataStepEnd } from './data-steps/data-step-context.js';
import type { AddSshKeysStep, RunnerJob } from './types.js';

/** What the step needs of the job and its primary container. */
export interface SshKeysContext {
  readonly backend: JobBackend;
  readonly primary: string;
  readonly job: Pick<RunnerJob, 'sshKeys' | 'secretsWithheld'>;
  /** `$HOME` of the primary container, and who its files belong to. */
  readonly home: string;
  readonly owner: ContainerOwner;
  /** A line in the step's log. */
  log(line: string): void;
}

/** What `~/.ssh` holds now: whether it is there, and the config's text. */
interface SshFolder {
  readonly exists: boolean;
  readonly config: string;
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
  if (!(await ctx.backend.hasPath(ctx.primary, ctx.home)))
    return failed(ctx, `the home folder ${ctx.home} is not in the container; set HOME to a folder the job's user owns`);
  const sshDir = posix.join(ctx.home, '.ssh');
  const folder = await readSshFolder(ctx, sshDir);
  if (typeof folder === 'string') return failed(ctx, folder);
  const entries = keys.map((key) => hostEntry(key, sshDir)).join('');
  const files = [
    ...keys.map((key) => ({ name: keyFileName(key), body: withNewline(key.privateKey) })),
    { name: 'config', body: folder.config + entries },
  ];
  await putFiles(ctx, files, !folder.exists);
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

/** `~/.ssh` as it is now, or why the step will not write into it. */
async function readSshFolder(ctx: SshKeysContext, sshDir: string): Promise<SshFolder | string> {
  if (!(await ctx.backend.hasPath(ctx.primary, sshDir))) return { exists: false, config: '' };
  let kind: string | undefined;
  let config: string | undefined;
  let configKind: string | undefined;
  await eachEntry(await ctx.backend.getArchive(ctx.primary, sshDir), async (header, body) => {
    const name = header.name.replace(/\/$/, '');
    if (name === '.ssh') kind = header.type ?? 'file';
    if (name !== '.ssh/config') return;
    configKind = header.type ?? 'file';
    if (configKind === 'file') config = await text(body);
  });
  if (kind !== 'directory')
    return `${sshDir} is not a folder (a ${kind ?? 'missing entry'}); Gyre writes keys only into a real folder`;
  if (configKind !== undefined && configKind !== 'file')
    return `${sshDir}/config is a ${configKind}, not a file; Gyre appends only to a real file`;
  return { exists: true, config: config === undefined || config === '' ? '' : withNewline(config) };
}

/** Writes the files (0600) into `~/.ssh`, made first (0700) when `makeFolder`, owned by the steps' user. */
async function putFiles(
  ctx: SshKeysContext,
  files: readonly { name: string; body: string }[],
  makeFolder: boolean,
): Promise<void> {
  const out = pack();
  const root = posix.join(ctx.home.replace(/^\/+/, ''), '.ssh');
  if (makeFolder) out.entry({ name: root, type: 'directory', mode: 0o700, ...ctx.owner });
  for (const file of files) out.entry({ name: posix.join(root, file.name), mode: 0o600, ...ctx.owner }, file.body);
  out.finalize();
  await ctx.backend.putArchive(ctx.primary, '/', nodeStream(out));
}

function withNewline(value: string): string {
  return value.endsWith('\n') ? value : `${value}\n`;
}
