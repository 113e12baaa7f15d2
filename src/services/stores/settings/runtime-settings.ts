/**
 * Settings administrators change at run time, in `runtime_settings` (one jsonb value per key).
 * Every change writes its audit entry in the same statement, so the log cannot miss one. The
 * GitHub client secret and commit status token are sealed with the installation key and never
 * read back by the console.
 */
import type { Database } from '../../database/create-pool.js';
import type { ResourceClassTable } from '../../core/pipeline-config/model.js';
import type { SecretBox } from '../../core/security/secret-box.js';
import type { GitHubAppInput } from '../../core/settings/settings-input.js';

/** The GitHub connection as stored: the client secret and the status token sealed (base64), or absent. */
export interface StoredGitHubApp {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecretSealed?: string;
  /** The token commit statuses are posted with; while absent, no status is queued. */
  readonly statusTokenSealed?: string;
}

/** What each key holds. */
export interface RuntimeSettingValues {
  readonly 'webhooks.baseUrl': string;
  readonly resourceClasses: ResourceClassTable;
  readonly 'github.app': StoredGitHubApp;
  /** Whether people may make their own accounts (sign-up and first GitHub sign-in). @default 'closed' */
  readonly 'accounts.signup': 'open' | 'closed';
}

export type RuntimeSettingKey = keyof RuntimeSettingValues;

export class RuntimeSettings {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  async get<K extends RuntimeSettingKey>(key: K): Promise<RuntimeSettingValues[K] | undefined> {
    const result = await this.db.query<{ value: RuntimeSettingValues[K] }>(
      'SELECT value FROM runtime_settings WHERE key = $1',
      [key],
    );
    return result.rows[0]?.value;
  }

  /**
   * Whether people may make their own accounts: only once an administrator opens sign-up. Closed
   * by default, so nobody who reaches a new install's port can make an account on it.
   */
  async signupOpen(): Promise<boolean> {
    return (await this.get('accounts.signup')) === 'open';
  }

  /** Stores a value; the audit entry gets `detail` (never a secret). */
  async put<K extends RuntimeSettingKey>(
    key: K,
    value: RuntimeSettingValues[K],
    actor: string,
    detail: object,
  ): Promise<void> {
    await this.db.query(
      `WITH saved AS (INSERT INTO runtime_settings (key, value, updated_at) VALUES ($1, $2, now())
                      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now() RETURNING key)
       INSERT INTO audit_log (actor, action, target, detail) SELECT $3, 'settings.update', saved.key, $4 FROM saved`,
      [key, JSON.stringify(value), actor, JSON.stringify(detail)],
    );
  }

  /** Removes a value, so the built-in default applies again. */
  async remove(key: RuntimeSettingKey, actor: string): Promise<void> {
    await this.db.query(
      `WITH removed AS (DELETE FROM runtime_settings WHERE key = $1 RETURNING key)
       INSERT INTO audit_log (actor, action, target, detail) SELECT $2, 'settings.reset', $1, NULL FROM (SELECT 1) one`,
      [key, actor],
    );
  }

  /** Stores the GitHub connection, sealing a new client secret and status token or keeping the stored ones. */
  async putGitHubApp(input: GitHubAppInput, actor: string): Promise<void> {
    const stored = await this.get('github.app');
    const sealed =
      input.clientSecret === undefined
        ? stored?.clientSecretSealed
        : this.box.seal(input.clientSecret).toString('base64');
    const token =
      input.statusToken === undefined
        ? stored?.statusTokenSealed
        : input.statusToken === null
          ? undefined
          : this.box.seal(input.statusToken).toString('base64');
    const value: StoredGitHubApp = {
      baseUrl: input.baseUrl,
      apiUrl: input.apiUrl,
      clientId: input.clientId,
      ...(sealed !== undefined && { clientSecretSealed: sealed }),
      ...(token !== undefined && { statusTokenSealed: token }),
    };
    const statusToken = input.statusToken === undefined ? 'kept' : input.statusToken === null ? 'removed' : 'changed';
    await this.put('github.app', value, actor, {
      baseUrl: value.baseUrl,
      apiUrl: value.apiUrl,
      clientId: value.clientId,
      clientSecretChanged: input.clientSecret !== undefined,
      statusToken,
    });
  }

  /** The GitHub connection with its client secret in the clear, for the sign-in flow; undefined until fully set. */
  async gitHubApp(): Promise<{ baseUrl: string; apiUrl: string; clientId: string; clientSecret: string } | undefined> {
    const stored = await this.get('github.app');
    if (stored?.clientSecretSealed === undefined) return undefined;
    return {
      baseUrl: stored.baseUrl,
      apiUrl: stored.apiUrl,
      clientId: stored.clientId,
      clientSecret: this.box.open(Buffer.from(stored.clientSecretSealed, 'base64')),
    };
  }

  /** Where and as whom commit statuses are posted: the API URL and the status token in the clear; undefined without a token. */
  async statusTarget(): Promise<{ apiUrl: string; token: string } | undefined> {
    const stored = await this.get('github.app');
    if (stored?.statusTokenSealed === undefined) return undefined;
    return { apiUrl: stored.apiUrl, token: this.box.open(Buffer.from(stored.statusTokenSealed, 'base64')) };
  }
}
