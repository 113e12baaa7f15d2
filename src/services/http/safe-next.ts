/**
 * Where to send a browser after sign-in: only a path on this site, so that `next=` cannot turn
 * sign-in into a redirector to another site (`https://evil.example`, `//evil.example`).
 * Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example` would
 * become `//evil.example`: a path with a control character, a space or a backslash is refused too.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return '/';
  const unsafe = [...next].some((c) => c <= ' ' || c === '\u007f' || c === '\\');
  return unsafe ? '/' : next;
}
