/**
 * A builder's default name, from its Docker host's name: the agent and the orchestrator must
 * agree on it, so both take it from here.
 */

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
