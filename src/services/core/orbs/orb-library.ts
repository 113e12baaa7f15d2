/**
 * Gathers the orbs a config needs from the orb store before it is parsed (the parser is pure
 * and synchronous): the config's references, then each found orb's own, until none is new.
 * References the store cannot answer are left out; the parser names them and says how to import them.
 */
import { orbReferencesIn, type ImportedOrb, type OrbLibrary } from '../pipeline-config/index.js';

/** Where orbs come from: the orb store, or a fake in unit tests. */
export interface OrbResolver {
  /** The imported version `written` (`circleci/node@7.2`) stands for, if any. */
  resolve(written: string): Promise<ImportedOrb | undefined>;
}

/** How many orb references one config may lead to, dependencies included; real configs use a handful. */
export const MAX_ORB_LOOKUPS = 64;

/** Every orb `texts` refer to, directly or through other orbs, that `orbs` can resolve. */
export async function loadOrbLibrary(texts: readonly string[], orbs: OrbResolver): Promise<OrbLibrary> {
  const library = new Map<string, ImportedOrb>();
  const asked = new Set<string>();
  const queue = texts.flatMap(orbReferencesIn);
  while (queue.length > 0 && asked.size < MAX_ORB_LOOKUPS) {
    const written = queue.shift()!;
    if (asked.has(written)) continue;
    asked.add(written);
    const orb = await orbs.resolve(written);
    if (!orb) continue;
    library.set(written, orb);
    queue.push(...orbReferencesIn(orb.yaml));
  }
  return library;
}
