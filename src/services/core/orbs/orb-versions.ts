/**
 * Orb references and versions. A config names an orb as `namespace/name@version`, where the
 * version is exact (`7.2.1`), a major.minor (`7.2`: its newest patch) or a major (`7`: its newest
 * release), or `volatile` (the newest of all), as CircleCI's registry resolves them.
 */

/** An orb's name and the version a config asks for. */
export interface OrbReference {
  readonly namespace: string;
  readonly name: string;
  /** As written after `@`. */
  readonly version: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;
const RELEASE = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;
const REQUEST = /^(?:volatile|(0|[1-9]\d{0,8})(?:\.(0|[1-9]\d{0,8})(?:\.(0|[1-9]\d{0,8}))?)?)$/;

/** Reads `namespace/name@version`, or says what is wrong with it. */
export function parseOrbReference(text: string): OrbReference | { readonly problem: string } {
  const match = /^([^/@]+)\/([^/@]+)@(.+)$/.exec(text);
  const [, namespace = '', name = '', version = ''] = match ?? [];
  if (!match)
    return { problem: `"${text}" is not an orb reference; write namespace/name@version, as in circleci/node@7.2.1` };
  if (!NAME.test(namespace) || !NAME.test(name))
    return {
      problem: `"${text}": a namespace and a name are lower-case letters, digits, - and _ (at most 63), starting with a letter or digit`,
    };
  if (!REQUEST.test(version))
    return { problem: `"${text}": the version is x.y.z, x.y, x or volatile, as in circleci/node@7.2.1` };
  return { namespace, name, version };
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
  matching.sort((a, b) => compareParts(b.parts, a.parts));
  return matching[0]?.v;
}

function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
