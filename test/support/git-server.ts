/**
 * The git server of Gyre's integration tests: GyreEnvironment's own (src/testing/git-server.ts),
 * so tests and users exercise one implementation. Each push's files are the whole commit.
 *
 * Its image is built from ./git-server/Dockerfile on `debian:bookworm-slim` (the base that
 * `gyre images build --offline` makes), not taken from `gyre/app`, so the git server neither
 * depends on nor changes when the product image is rebuilt by other tests. Docker's layer cache
 * makes every build after the first take about a second.
 */
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { GenericContainer } from 'testcontainers';
import { packageRoot } from '../../src/shared/package-files.js';
import { GitServer } from '../../src/testing/git-server.js';

export type { GitServer } from '../../src/testing/git-server.js';

const IMAGE = 'gyre/test-git-server:1';
// From the package root, so the compiled benchmarks (dist-bench/) find the same build context.
const CONTEXT = join(packageRoot, 'test/support/git-server');

export interface TestGitServerOptions {
  /** The address the daemon listens on, e.g. 0.0.0.0 for hosts in other network namespaces. @default the host's address on the default bridge */
  readonly listen?: string;
}

/** Builds (cached) and starts a git server; its containers carry `io.gyre.test=true`. */
export async function startGitServer(options: TestGitServerOptions = {}): Promise<GitServer> {
  await GenericContainer.fromDockerfile(CONTEXT).build(IMAGE, { deleteOnExit: false });
  return GitServer.start(new Dockerode(), {
    image: IMAGE,
    labels: { 'io.gyre.test': 'true' },
    pushReplacesTree: true,
    ...(options.listen === undefined ? {} : { listen: options.listen }),
  });
}
