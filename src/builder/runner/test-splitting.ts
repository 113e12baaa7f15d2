/**
 * `circleci tests glob` and `split` inside the job: Gyre's own `circleci` script
 * (templates/job/circleci, POSIX sh and awk) goes into the primary container as
 * /gyre/bin/circleci, first on every step's PATH, with the timings the lease brought beside it.
 * Written through the engine's archive API, so the image needs nothing and the job's user can run
 * it whatever the image's users are.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import type { TestTiming } from '../../protocol/index.js';
import { packageRoot } from '../../shared/package-files.js';
import { nodeStream } from '../../shared/tar-streams.js';
import { JOB_BIN_DIR } from './shell.js';

/** Where the script looks for timings (its GYRE_TEST_TIMINGS_FILE default). */
const TIMINGS_PATH = 'gyre/test-timings.tsv';

let script: string | undefined;

/** Puts the script and the timings into the primary container. */
export async function installTestSplitting(
  backend: JobBackend,
  container: string,
  timings: readonly TestTiming[],
): Promise<void> {
  script ??= readFileSync(join(packageRoot, 'templates/job/circleci'), 'utf8');
  const out = pack();
  out.entry({ name: 'gyre/', type: 'directory', mode: 0o755 });
  out.entry({ name: `${JOB_BIN_DIR.slice(1)}/`, type: 'directory', mode: 0o755 });
  out.entry({ name: `${JOB_BIN_DIR.slice(1)}/circleci`, mode: 0o755 }, script);
  out.entry({ name: TIMINGS_PATH, mode: 0o644 }, timingsFile(timings));
  out.finalize();
  await backend.putArchive(container, '/', nodeStream(out));
}

/** One `kind<TAB>name<TAB>seconds` line per timing; tabs and newlines cannot be in a name. */
export function timingsFile(timings: readonly TestTiming[]): string {
  return timings
    .filter((t) => !/[\t\n]/.test(t.name))
    .map((t) => `${t.kind}\t${t.name}\t${t.seconds}\n`)
    .join('');
}
