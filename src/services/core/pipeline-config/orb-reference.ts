/**
 * How a config names an orb: `namespace/name@version`, where the version is exact (`7.2.1`), a
 * major.minor (`7.2`: its newest patch), a major (`7`: its newest release), or `volatile` (the
 * newest of all).
 */

/** An orb's name and the version a config asks for. */
export interface OrbReference {
  readonly namespace: string;
  readonly name: string;
  /** As written after `@`. */
  readonly version: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;
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
