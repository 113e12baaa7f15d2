import type { Migration } from './migration.js';

/**
 * A project's credential for its private repository: an https token or a generated deploy key,
 * sealed with the installation key like every project secret. `id` changes whenever the credential
 * is replaced, and names the git mirror fetched with it, so no project reads what another fetched
 * with a credential of its own.
 *
 * Git URLs saved before this with a user name or token in them are left as they are: Gyre refuses
 * to fetch them, naming the fix (set the credential, then the URL without it), and never shows them.
 */
export const gitCredentialsMigration: Migration = {
  id: 15,
  name: 'git-credentials',
  sql: `
CREATE TABLE project_git_credentials (
  project_id  bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind IN ('token', 'deploy-key')),
  -- The token's user name (not a secret); null for a deploy key.
  username    text,
  -- The token or the private key, sealed.
  secret      bytea NOT NULL,
  -- The deploy key's public half, to paste into the repository host.
  public_key  text,
  -- The token's last 4 characters, so maintainers can tell which one is set.
  last4       text NOT NULL DEFAULT '',
  updated_at  timestamptz NOT NULL DEFAULT now()
);
`,
};
