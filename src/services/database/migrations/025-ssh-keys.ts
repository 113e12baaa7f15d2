import type { Migration } from './migration.js';

/**
 * Projects' SSH keys for the `add_ssh_keys` step: private keys a maintainer added, sealed with
 * the installation key like every project secret, each with the host it is for (none: every
 * host) and both its fingerprints, by which configs name it. A key is added once per project.
 */
export const sshKeysMigration: Migration = {
  id: 25,
  name: 'ssh-keys',
  sql: `
CREATE TABLE project_ssh_keys (
  project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- \`ab:cd:…\`, lower case, and \`SHA256:…\`, as ssh-keygen -l prints them.
  md5         text NOT NULL,
  sha256      text NOT NULL,
  hostname    text,
  -- \`ssh-ed25519 AAAA…\`, to tell keys apart and check the other end.
  public_key  text NOT NULL,
  -- The private key, sealed.
  secret      bytea NOT NULL,
  added_by    text NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, md5)
);
`,
};
