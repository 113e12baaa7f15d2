/**
 * Cursor pagination for list routes: `{ items, nextCursor }`, where `nextCursor` is the id to
 * pass on (as `after` or `before`) and `null` on the last page.
 */

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: number | null;
}

/** Fetches one more row than asked, which tells whether another page exists without a count. */
export async function paginate<T extends { readonly id: number }>(
  limit: number,
  fetchRows: (limit: number) => Promise<readonly T[]>,
): Promise<Page<T>> {
  const found = await fetchRows(limit + 1);
  const items = found.slice(0, limit);
  return { items, nextCursor: found.length > items.length ? (items.at(-1)?.id ?? null) : null };
}
