/**
 * Gathers the orbs a config needs from the orb store before it is parsed (the parser is pure
 * and synchronous): the config's references, then each found orb's own, until none is new.
 * References the store cannot answer are left out; the parser names them and says how to import them.
 * A config may read at most MAX_ORB_INSTANCES orbs, so no more distinct references are looked up;
 * the parser, counting every alias in the same order, refuses such a config before it reaches one
 * that was not looked up.
 */
import { MAX_ORB_INSTANCES, orbReferencesIn, type ImportedOrb, type OrbLibrary } from '../pipeline-config/index.js';

/** Where orbs come from: the orb store, or a fake in unit tests. */
export interface OrbResolver {
  /** The imported version `written` (`circleci/node@7.2`) stands for, if any. */
  resolve(written: string): Promise<ImportedOrb | undefined>;
}

/** Every orb `texts` refer to, directly or through other orbs, that `orbs` can resolve. */
export async function loadOrbLibrary(texts: readonly string[], orbs: OrbResolver): Promise<OrbLibrary> {
  const library = new Map<string, ImportedOrb>();
  const asked = new Set<string>();
  // Depth first, in file order, as the parser reads orbs: the references it would reach first
  // are the ones looked up before the limit.
  const visit = async (text: string): Promise<void> => {
    // Most configs name no orb: spare them a second parse on the way to planning.
    if (!text.includes('orbs')) return;
    for (const written of orbReferencesIn(text)) {
      if (asked.has(written) || asked.size >= MAX_ORB_INSTANCES) continue;
      asked.add(written);
      const orb = await orbs.resolve(written);
      if (!orb) continue;
      library.set(written, orb);
      await visit(orb.yaml);
    }
  };
  for (const text of texts) await visit(text);
  return library;
}
