/**
 * The admin console as the testing module drives it: a small form client that keeps the session
 * cookie, takes the `_csrf` field from the page that holds a form, posts the form as
 * `application/x-www-form-urlencoded` and never follows redirects (a saved form answers 303, a
 * refused one 400 with the problems listed on the page).
 */
import { GyreEnvironmentError, messageOf } from './errors.js';

/** The GitHub connection, as the admin console's "GitHub" form takes it. */
export interface GitHubSettings {
  /** GitHub's web URL, e.g. https://github.com or a GitHub Enterprise server. */
  readonly baseUrl: string;
  /** The REST API's URL. @default derived from `baseUrl` (api.github.com, or `<baseUrl>/api/v3`) */
  readonly apiUrl?: string;
  /** The OAuth app's client id. */
  readonly clientId: string;
  /** The OAuth app's client secret. @default keeps the stored one */
  readonly clientSecret?: string;
  /** A token that may create commit statuses; without one Gyre posts none. @default keeps the stored one */
  readonly statusToken?: string;
}

/** A signed-in session on the admin console. */
export class AdminConsole {
  private readonly cookies = new Map<string, string>();

  private constructor(private readonly base: string) {}

  /** Signs in at `/login`; throws unless the console lets the user in. */
  static async signIn(base: string, login: string, password: string): Promise<AdminConsole> {
    const session = new AdminConsole(base);
    const answer = await session.submit('/login', '/login', { login, password });
    if (answer.status !== 302 && answer.status !== 303) {
      throw new GyreEnvironmentError(
        `signing in to the admin console as ${login}`,
        `the console answered ${answer.status}: ${problemsOf(await answer.text()) || 'no reason shown'}`,
        'the environment signs in as its built-in admin; was GYRE_ADMIN_PASSWORD changed with withSettings()?',
      );
    }
    return session;
  }

  /** Saves the GitHub connection on `/settings`; throws with the form's problems when it is refused. */
  async saveGitHub(settings: GitHubSettings): Promise<void> {
    const answer = await this.submit('/settings', '/settings/github', {
      baseUrl: settings.baseUrl,
      apiUrl: settings.apiUrl ?? '',
      clientId: settings.clientId,
      clientSecret: settings.clientSecret ?? '',
      statusToken: settings.statusToken ?? '',
    });
    if (answer.status !== 303) {
      throw new GyreEnvironmentError(
        'saving the GitHub connection in the admin console',
        `the console answered ${answer.status}: ${problemsOf(await answer.text()) || 'no reason shown'}`,
        'correct the values given to configureGitHub()',
      );
    }
  }

  /** Opens `page`, takes the `_csrf` of its form, and posts `fields` with it to `action`. */
  async submit(page: string, action: string, fields: Readonly<Record<string, string>>): Promise<Response> {
    const opened = await this.send(page, { method: 'GET' });
    const html = await opened.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf)
      throw new GyreEnvironmentError(
        `opening ${page} of the admin console`,
        `the page (answered ${opened.status}) has no form with a CSRF field`,
        'the app image may be older than this package; rebuild it with `gyre images build --offline`',
      );
    return this.send(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, _csrf: csrf }).toString(),
    });
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string> | undefined), ...(cookie && { cookie }) },
      });
    } catch (error) {
      throw new GyreEnvironmentError(
        `${init.method ?? 'GET'} ${path} on the admin console`,
        messageOf(error),
        `is the environment still running? The admin console should answer at ${this.base}`,
        { cause: error },
      );
    }
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', ...value] = pair.split('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join('='));
    }
    return response;
  }
}

/** The problems a refused form lists (`<ul class="error">`), as one line of text. */
function problemsOf(html: string): string {
  const list =
    /<ul class="error"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ??
    /<p class="error"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ??
    '';
  return (
    [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => unescape(m[1]!.trim())).join('; ') ||
    unescape(list.replace(/<[^>]+>/g, '').trim())
  );
}

function unescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
