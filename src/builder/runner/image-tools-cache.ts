/**
 * What each primary image offers the step runner (bash, setsid), kept by the agent across jobs:
 * probing it is an exec round trip before the first step of every job (issue 21), and the answer
 * depends only on what the probe sees. That is the image's files, by id, not by a name a pull can
 * move, and the container's user and variables (PATH).
 */
import type { ImageTools } from './shell.js';

/** Enough for every image a builder runs in a day; the oldest entry goes first past it. */
const DEFAULT_MAX_ENTRIES = 256;

export class ImageToolsCache {
  private readonly entries = new Map<string, ImageTools>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** The key of a primary container: its image's id, its user, and its variables. */
  static keyOf(imageId: string, user: string | undefined, env: readonly string[]): string {
    return JSON.stringify([imageId, user ?? null, env]);
  }

  get(key: string): ImageTools | undefined {
    return this.entries.get(key);
  }

  set(key: string, tools: ImageTools): void {
    this.entries.delete(key);
    this.entries.set(key, tools);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
