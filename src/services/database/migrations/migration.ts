/** One versioned schema change. Ids only grow; a shipped migration is never edited. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}
