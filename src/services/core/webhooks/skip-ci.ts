/**
 * CircleCI's skip markers: `[ci skip]` or `[skip ci]` anywhere in the head commit's message
 * (title or body), in any letter case. Only the head commit counts, as in CircleCI.
 */

const SKIP_MARKER = /\[(?:ci skip|skip ci)\]/i;

/** Returns the marker as written in the message (e.g. `[Skip CI]`), or undefined when there is none. */
export function findSkipMarker(commitMessage: string): string | undefined {
  return SKIP_MARKER.exec(commitMessage)?.[0];
}
