/**
 * Builder names: the rule every part checks them by (settings, the protocol, the orchestrator),
 * and the default name from a Docker host's name, which the agent and the orchestrator must agree
 * on, so all take it from here.
 */

/** 1-40 lower-case letters, digits or dashes, starting with a letter or digit: usable in Compose project names. */
export const BUILDER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** What {@link BUILDER_NAME_PATTERN} asks for, in words. */
export const BUILDER_NAME_RULE = '1-40 lower-case letters, digits or dashes, starting with a letter or digit';

/** Docker host names may hold dots and capitals; builder names are `[a-z0-9-]`, at most 40. */
export function builderNameOf(hostName: string): string {
  const name = hostName
    .toLowerCase()
    .split('.')[0]!
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return name || 'builder';
}
