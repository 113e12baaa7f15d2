import type { Migration } from './migration.js';

/**
 * People: local accounts (scrypt password hashes) and GitHub logins, browser sessions for the user
 * UI and the admin console (stored hashed, each with its CSRF token), API tokens owned by a user,
 * and the settings administrators change at run time.
 */
export const usersAndSessionsMigration: Migration = {
  id: 5,
  name: 'users-and-sessions',
  sql: `
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login         text NOT NULL CHECK (login ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,38}$'),
  -- scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>; NULL for an account that signs in with GitHub only.
  password_hash text,
  github_id     bigint UNIQUE,
  is_admin      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_login ON users (lower(login));

CREATE TABLE sessions (
  -- SHA-256 of the cookie's value; the value itself is never stored.
  id_hash     bytea PRIMARY KEY,
  -- NULL for the admin console's built-in administrator (GYRE_ADMIN_PASSWORD).
  user_id     bigint REFERENCES users(id) ON DELETE CASCADE,
  scope       text NOT NULL CHECK (scope IN ('user', 'admin')),
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

ALTER TABLE api_tokens ADD COLUMN user_id bigint REFERENCES users(id) ON DELETE CASCADE;

CREATE TABLE runtime_settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
};
