import type { Migration } from './migration.js';

/**
 * The installation's orb store: orbs an administrator imported, by namespace, name and release
 * version, each version immutable once imported (as in CircleCI's registry). Configs that name
 * one expand its packed YAML when a pipeline is planned.
 */
export const orbsMigration: Migration = {
  id: 24,
  name: 'orbs',
  sql: `
CREATE TABLE orbs (
  namespace text NOT NULL,
  name text NOT NULL,
  version text NOT NULL,
  yaml text NOT NULL,
  sha256 text NOT NULL,
  imported_by text NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name, version)
);
`,
};
