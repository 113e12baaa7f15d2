/**
 * The `checkout` step. git runs in a short-lived helper container of the agent's own image with
 * the job's workspace volume mounted (ARCHITECTURE: job images need no git); the primary then
 * copies the tree into the checkout path, so the files belong to the primary's user.
 */
import type { JobBackend } from '../../docker/index.js';
import { WORKSPACE_MOUNT } from './environment-setup.js';
import { directoryExpression } from './shell.js';
import type { CheckoutStep, RunnerJob, RunnerSink } from './types.js';

/** Where the helper leaves the clone inside the workspace volume. */
const CHECKOUT_DIR = `${WORKSPACE_MOUNT}/checkout`;
const CLONE_SCRIPT = [
  'set -e',
  `rm -rf ${CHECKOUT_DIR}`,
  `git clone --quiet --no-checkout "$GYRE_GIT_URL" ${CHECKOUT_DIR}`,
  `cd ${CHECKOUT_DIR}`,
  'git -c advice.detachedHead=false checkout --quiet "$GYRE_SHA"',
  'echo "Checked out $GYRE_SHA"',
].join('\n');

/** What a checkout needs besides the job. */
export interface CheckoutRequest {
  readonly backend: JobBackend;
  /** The primary container's id. */
  readonly primary: string;
  readonly helperImage: string;
  readonly volume: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly sink: RunnerSink;
}

/** Clones the job's commit and copies it into the checkout path; returns the exit code. */
export async function runCheckout(
  request: CheckoutRequest,
  job: RunnerJob,
  step: CheckoutStep,
  index: number,
): Promise<number> {
  const cloned = await cloneInHelper(request, job, index);
  if (cloned !== 0) return cloned;
  const where = directoryExpression(step.path ?? job.spec.workingDirectory);
  // -R without -p: the copies belong to the primary's user, whoever the helper ran as.
  return request.backend.exec(request.primary, {
    cmd: ['/bin/sh', '-c', `mkdir -p -- ${where} && cp -R ${CHECKOUT_DIR}/. ${where}/ 2>&1`],
    onOutput: (data) => request.sink.log(index, data),
  });
}

/**
 * Runs git in the helper. It runs as root because the volume's root belongs to root, and on the
 * default bridge, where the services box is reachable; it has no job secrets.
 */
async function cloneInHelper(request: CheckoutRequest, job: RunnerJob, index: number): Promise<number> {
  return request.backend.runContainer(
    {
      image: request.helperImage,
      user: '0:0',
      entrypoint: ['/bin/sh', '-c', CLONE_SCRIPT],
      cmd: [],
      env: [`GYRE_GIT_URL=${job.context.gitUrl}`, `GYRE_SHA=${job.context.sha}`],
      labels: request.labels,
      volumes: [{ name: request.volume, target: WORKSPACE_MOUNT }],
    },
    (data) => request.sink.log(index, data),
  );
}
