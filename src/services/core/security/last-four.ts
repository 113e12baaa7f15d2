/** The last 4 characters of a secret, to tell values apart; none of a short value, where 4 characters would give most of it away. */
export function lastFour(value: string): string {
  return value.length >= 8 ? value.slice(-4) : '';
}
