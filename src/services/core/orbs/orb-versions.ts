/**
 * Orb versions: which imported version a config's reference (orb-reference.ts) stands for, as
 * CircleCI's registry resolves them, and the exact versions orbs are imported under.
 */
import { InvalidInputError } from '../../../shared/errors.js';
import { parseOrbReference } from '../pipeline-config/index.js';

const RELEASE = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

/** One orb version exactly, as the store keeps it. */
export interface OrbVersionId {
  readonly namespace: string;
  readonly name: string;
  /** A release, `major.minor.patch`. */
  readonly version: string;
}

/** Reads the `namespace/name@1.2.3` an orb is imported as; throws, saying how to write it, otherwise. */
export function releaseOf(text: string): OrbVersionId {
  const reference = parseOrbReference(text.trim());
  if (!('problem' in reference) && isReleaseVersion(reference.version)) return reference;
  throw new InvalidInputError('the orb reference', [
    {
      input: text,
      message: 'problem' in reference ? reference.problem : 'must name a release version, such as 7.2.1',
      hint: 'write namespace/name@major.minor.patch, as in circleci/node@7.2.1',
    },
  ]);
}

/** True for a version an orb can be imported under: exactly major.minor.patch. */
export function isReleaseVersion(version: string): boolean {
  return RELEASE.test(version);
}

/** The newest of `available` (release versions) that `requested` stands for, if any. */
export function pickVersion(requested: string, available: readonly string[]): string | undefined {
  const wanted = requested === 'volatile' ? [] : requested.split('.').map(Number);
  const matching = available
    .filter(isReleaseVersion)
    .map((v) => ({ v, parts: v.split('.').map(Number) }))
    .filter(({ parts }) => wanted.every((n, i) => parts[i] === n));
  matching.sort((a, b) => compareVersions(b.v, a.v));
  return matching[0]?.v;
}

/** Orders release versions: negative when `a` is older than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
