/**
 * The `circleci` script (test-splitting.ts) on a volume of the builder's, which every primary
 * mounts read-only at /gyre/bin (issue 21). Put into each primary through the archive API, it
 * cost every job a round trip during which the engine holds the container, before the first step
 * could run. Made once per agent start, on first use; removed when the agent stops, or by the next
 * start's sweep of the builder's labels after a crash.
 */
import { randomBytes } from 'node:crypto';
import type { JobBackend } from '../../docker/index.js';
import { builderObjectLabels } from '../../shared/labels.js';
import { circleciScript } from './test-splitting.js';

/** Where the maker sees the volume. */
const TARGET = '/tools';

/** How long after a failure the next job's call tries again; jobs meanwhile get the script as a copy at once. */
export const TOOLS_RETRY_MS = 60_000;

export class ToolsVolume {
  private made: Promise<string> | undefined;
  private failedAt = -Infinity;

  constructor(
    private readonly backend: JobBackend,
    private readonly builderName: string,
    /** The image of the container that writes the script (the builder's helper image, always present). */
    private readonly helperImage: string,
    /** Making it failed (the agent's log says why; the job's only that it got a copy). */
    private readonly onFailure: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The volume's name, made on the first call. Undefined when it could not be made: then jobs get
   * the script through the archive API, and a call TOOLS_RETRY_MS later tries again.
   */
  async name(): Promise<string | undefined> {
    if (this.made === undefined && this.now() - this.failedAt < TOOLS_RETRY_MS) return undefined;
    this.made ??= this.make().catch((error: unknown) => {
      this.made = undefined;
      this.failedAt = this.now();
      this.onFailure(error);
      throw error;
    });
    return await this.made.catch(() => undefined);
  }

  /** Removes the volume once no container uses it; one never made or already gone is fine. */
  async remove(): Promise<void> {
    const made = this.made;
    this.made = undefined;
    const name = await made?.catch(() => undefined);
    if (name !== undefined) await this.backend.removeVolume(name);
  }

  private async make(): Promise<string> {
    const name = `gyre-tools-${randomBytes(6).toString('hex')}`;
    const labels = builderObjectLabels(this.builderName);
    await this.backend.createVolume(name, labels);
    let output = '';
    // Root writes it (the volume starts root's); the script comes on stdin, and the maker has no
    // network and writes nothing else.
    const exitCode = await this.backend
      .runContainer(
        {
          image: this.helperImage,
          user: '0:0',
          entrypoint: ['sh', '-c', `cat > ${TARGET}/circleci && chmod 0755 ${TARGET}/circleci`],
          labels,
          volumes: [{ name, target: TARGET }],
          network: { name: 'none' },
          readOnlyRoot: true,
          stdin: Buffer.from(circleciScript()),
        },
        (data) => (output += data.toString('utf8')),
      )
      .catch(async (error: unknown) => {
        await this.backend.removeVolume(name).catch(() => undefined);
        throw error;
      });
    if (exitCode !== 0) {
      await this.backend.removeVolume(name).catch(() => undefined);
      throw new Error(`writing the circleci script into volume ${name} exited with ${exitCode}: ${output.trim()}`);
    }
    return name;
  }
}
