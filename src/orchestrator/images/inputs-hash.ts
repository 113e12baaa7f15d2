/**
 * The fingerprint of an image's inputs. It is stored on the image as a label so that a later
 * `gyre images build` can tell "same inputs, keep it" from "something changed, rebuild"
 * without trusting timestamps (CI machines are reused; clones have fresh mtimes).
 */
import { LABELS } from '../../shared/labels.js';
import { createHash } from 'node:crypto';

/** One file of a build context, as far as its content matters to the image. */
export interface ContextFile {
  /** Path relative to the context root, with `/` separators. */
  readonly path: string;
  /** sha256 of the content, or of the link target for a symlink. */
  readonly sha256: string;
  /** Only the executable bit survives COPY in a way that changes behaviour. */
  readonly executable: boolean;
}

/** Everything that decides an image's content. */
export interface ImageInputs {
  readonly files: readonly ContextFile[];
  /** Build arguments that change what is built (not proxies or mirrors, which only change where from). */
  readonly args: Readonly<Record<string, string>>;
  /** Id of the FROM image, so that a rebuilt base rebuilds what stands on it. */
  readonly baseImageId?: string;
  /** Labels set at build time besides the fingerprint itself, such as io.gyre.version. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Label that holds the fingerprint on every image Gyre builds. */
export const INPUTS_LABEL = LABELS.inputs;

/** A stable fingerprint: independent of file order, argument order and timestamps. */
export function computeInputsHash(inputs: ImageInputs): string {
  const hash = createHash('sha256');
  const files = [...inputs.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of files)
    hash.update(`file ${JSON.stringify(file.path)} ${file.executable ? 'x' : '-'} ${file.sha256}\n`);
  for (const key of Object.keys(inputs.args).sort())
    hash.update(`arg ${JSON.stringify(key)}=${JSON.stringify(inputs.args[key])}\n`);
  for (const key of Object.keys(inputs.labels ?? {}).sort())
    hash.update(`label ${JSON.stringify(key)}=${JSON.stringify(inputs.labels![key])}\n`);
  hash.update(`base ${inputs.baseImageId ?? '-'}\n`);
  return `sha256:${hash.digest('hex')}`;
}
