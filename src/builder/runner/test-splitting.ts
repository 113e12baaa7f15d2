/**
 * `circleci tests glob` and `split` inside the job: Gyre's own `circleci` script
 * (templates/job/circleci, POSIX sh and awk) goes into the primary container as
 * /gyre/bin/circleci, first on every step's PATH, with the timings the lease brought beside it.
 * From the builder's tools volume, or written through the engine's archive API, so the image
 * needs nothing and the job's user can run it whatever the image's users are.
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

/** The script's text. */
export function circleciScript(): string {
  script ??= readFileSync(join(packageRoot, 'templates/job/circleci'), 'utf8');
  return script;
}

/**
 * Puts the script and the timings into the primary container: only the timings, and only when
 * there are any, where the builder's tools volume (tools-volume.ts) is mounted at /gyre/bin
 * already. The script takes a missing timings file for no timings.
 */
export async function installTestSplitting(
  backend: JobBackend,
  container: string,
  timings: readonly TestTiming[],
  scriptMounted: boolean,
): Promise<void> {
  if (scriptMounted && timings.length === 0) return;
  const out = pack();
  out.entry({ name: 'gyre/', type: 'directory', mode: 0o755 });
  if (!scriptMounted) {
    out.entry({ name: `${JOB_BIN_DIR.slice(1)}/`, type: 'directory', mode: 0o755 });
    out.entry({ name: `${JOB_BIN_DIR.slice(1)}/circleci`, mode: 0o755 }, circleciScript());
  }
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
