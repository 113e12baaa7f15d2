/**
 * Importing an orb: pack its source tree if that is what was given, check it as the parser will
 * read it (its dependencies must be imported first, as CircleCI's registry requires them to be
 * published first), then store it. Every problem is listed at once, each naming where it is.
 */
import type { ImportOrbRequest } from '../../../api/requests.js';
import { loadOrbLibrary } from '../../core/orbs/orb-library.js';
import { packOrb } from '../../core/orbs/pack-orb.js';
import { checkOrb } from '../../core/pipeline-config/index.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { refOf, type OrbStore, type OrbSummary, type OrbVersionId } from '../../stores/orbs/orb-store.js';

export async function importOrb(
  store: OrbStore,
  id: OrbVersionId,
  input: ImportOrbRequest,
  actor: string,
): Promise<{ orb: OrbSummary; created: boolean }> {
  const ref = refOf(id);
  const yaml = 'yaml' in input ? input.yaml : packed(ref, new Map(Object.entries(input.files)));
  const dependencies = await loadOrbLibrary([yaml], store);
  const problems = checkOrb(ref, yaml, dependencies);
  if (problems.length > 0)
    throw new InvalidInputError(
      `the orb ${ref}`,
      problems.map((p) => ({
        input: `${p.orb ?? ref} line ${p.line}, column ${p.column}${p.path ? ` (${p.path})` : ''}`,
        message: p.message,
      })),
    );
  return store.importOrb(id, yaml, actor);
}

function packed(ref: string, files: ReadonlyMap<string, string>): string {
  const result = packOrb(files);
  if (result.ok) return result.yaml;
  throw new InvalidInputError(
    `the source of orb ${ref}`,
    result.problems.map((p) => ({ input: `src/${p.file}`, message: p.message })),
  );
}
