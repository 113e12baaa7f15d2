import type { Migration } from './migration.js';

/**
 * The public keys each account connects with when it reruns a job with SSH: added on the account's
 * SSH keys page or through the API, one row per key, each key (by fingerprint) one account's.
 */
export const userSshKeysMigration: Migration = {
  id: 30,
  name: 'user-ssh-keys',
  sql: `
CREATE TABLE user_ssh_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL,
  -- 'ssh-ed25519 AAAA…', without the comment.
  public_key text NOT NULL,
  fingerprint_sha256 text NOT NULL,
  fingerprint_md5 text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  -- One account per key, as on GitHub: a session's audit entry names whoever connected.
  UNIQUE (fingerprint_sha256)
);
CREATE INDEX user_ssh_keys_user ON user_ssh_keys (user_id);
`,
};
