/**
 * The `checkout` step. git runs in a short-lived helper container of the agent's own image with
 * the job's workspace volume mounted (ARCHITECTURE: job images need no git); the primary then
 * copies the tree into the checkout path, so the files belong to the primary's user.
 */
import type { JobBackend } from '../../docker/index.js';
import { WORKSPACE_MOUNT, type HelperPlacement } from './environment-setup.js';
import { directoryExpression } from './shell.js';
import type { CheckoutStep, RunnerJob, RunnerSink } from './types.js';
import {
  credentialGitConfig,
  deployKeySshCommand,
  gitConfigEnvironment,
  type GitCredential,
} from '../../shared/git-credential.js';

/** Where the helper leaves the clone inside the workspace volume. */
const CHECKOUT_DIR = `${WORKSPACE_MOUNT}/checkout`;
/**
 * Who git runs as: Debian's `nobody`, a user that owns nothing else. The clone is the one thing
 * it may write, so a flaw in git (or in what a repository makes it do) reaches no further.
 */
const CHECKOUT_USER = '65534:65534';
/** The helper's own folder for the credential: in its container layer, never in the job's volume. */
const CREDENTIAL_DIR = '/tmp/gyre-git';
// stdin: see checkoutInput.
const CLONE_SCRIPT = [
  'set -e',
  // Only the credential is private: the clone must stay readable by the job's user, who copies it.
  `mkdir -p -m 700 ${CREDENTIAL_DIR}`,
  'names=',
  'while IFS= read -r line && [ -n "$line" ]; do export "$line"; names="$names ${line%%=*}"; done',
  // The builder's extra CA, if any: trusted beside the image's bundle, which was made when the
  // image was built and may predate it (a builder joined with a CA of its own, a renewed one).
  'while IFS= read -r line && [ -n "$line" ]; do printf \'%s\\n\' "$line"; done > /tmp/extra-ca.pem',
  'if [ -s /tmp/extra-ca.pem ]; then',
  '  cat /etc/ssl/certs/ca-certificates.crt /tmp/extra-ca.pem > /tmp/ca-bundle.pem',
  '  export GIT_SSL_CAINFO=/tmp/ca-bundle.pem',
  'fi',
  `(umask 077 && cat > ${CREDENTIAL_DIR}/key)`,
  'umask 022',
  'export GIT_TERMINAL_PROMPT=0',
  `git clone --quiet --no-checkout "$GYRE_GIT_URL" ${CHECKOUT_DIR}`,
  // The credential is done with: the clone's folder is in the job's volume, where the primary can
  // write while git checks out, so no hook or fsmonitor it plants may run with the credential.
  'unset $names',
  `rm -rf ${CREDENTIAL_DIR}`,
  `cd ${CHECKOUT_DIR}`,
  'git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c advice.detachedHead=false checkout --quiet "$GYRE_SHA"',
  'echo "Checked out $GYRE_SHA"',
].join('\n');

/** What a checkout needs besides the job. */
export interface CheckoutRequest {
  readonly backend: JobBackend;
  /** The primary container's id. */
  readonly primary: string;
  readonly helperImage: string;
  readonly volume: string;
  /** The checkout's own job network: under the builder's egress policy, with no job container on it. */
  readonly network: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The helper's share of the job's limits (see `inJobCgroup`). */
  readonly placement: HelperPlacement;
  /** The proxy variables, for a clone from outside (see outbound.ts). */
  readonly proxyEnv: readonly string[];
  /** PEM certificates the builder trusts besides the system's (GYRE_EXTRA_CA_CERTS_FILE). */
  readonly extraCa?: string;
  readonly sink: RunnerSink;
}

/** Clones the job's commit and copies it into the checkout path; returns the exit code. */
export async function runCheckout(
  request: CheckoutRequest,
  job: RunnerJob,
  step: CheckoutStep,
  index: number,
): Promise<number> {
  const prepared = await request.backend.exec(request.primary, {
    user: '0:0',
    cmd: [
      '/bin/sh',
      '-c',
      `rm -rf ${CHECKOUT_DIR} && mkdir ${CHECKOUT_DIR} && chown ${CHECKOUT_USER} ${CHECKOUT_DIR} 2>&1`,
    ],
    onOutput: (data) => request.sink.log(index, data),
  });
  if (prepared !== 0) return prepared;
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
 * Runs git in the helper, as {@link CHECKOUT_USER}: the primary's root made the clone's folder
 * for it, since the volume's root belongs to root. It runs on a job network of its own, so it
 * reaches what the job's steps reach and no more (a git server on the builder host, or on the
 * services box, is refused unless GYRE_EGRESS_ALLOW opens it), and no service container of the job
 * can answer for the git host's name. The repository
 * credential reaches it on stdin (see src/shared/git-credential.ts for how git is given it), so it
 * is in neither the helper's environment nor its command line, and the clone keeps none of it.
 */
async function cloneInHelper(request: CheckoutRequest, job: RunnerJob, index: number): Promise<number> {
  return request.backend.runContainer(
    {
      image: request.helperImage,
      user: CHECKOUT_USER,
      entrypoint: ['/bin/sh', '-c', CLONE_SCRIPT],
      cmd: [],
      // HOME: nobody's is /nonexistent, where git would look for its configuration. (ssh takes its
      // home from the password file; its key and known_hosts are named outright.)
      env: [...request.proxyEnv, 'HOME=/tmp', `GYRE_GIT_URL=${job.context.gitUrl}`, `GYRE_SHA=${job.context.sha}`],
      stdin: checkoutInput(job.gitCredential, request.extraCa),
      labels: request.labels,
      volumes: [{ name: request.volume, target: WORKSPACE_MOUNT }],
      network: { name: request.network },
      ...request.placement,
    },
    (data) => request.sink.log(index, data),
  );
}

/**
 * What the clone script reads on stdin: the credential's variables, a blank line, the extra CA's
 * lines (PEM without blank lines), a blank line, and the deploy key to the end.
 */
export function checkoutInput(credential: GitCredential | undefined, extraCa?: string): Buffer {
  const env = gitConfigEnvironment(credentialGitConfig(credential));
  if (credential?.kind === 'deploy-key')
    env['GIT_SSH_COMMAND'] = deployKeySshCommand({
      keyFile: `${CREDENTIAL_DIR}/key`,
      knownHostsFile: `${CREDENTIAL_DIR}/known_hosts`,
    });
  const lines = Object.entries(env).map(([name, value]) => `${name}=${value}\n`);
  const key = credential?.kind === 'deploy-key' ? credential.privateKey.replace(/\n?$/, '\n') : '';
  const ca = (extraCa ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `${line}\n`);
  return Buffer.from(`${lines.join('')}\n${ca.join('')}\n${key}`, 'utf8');
}
