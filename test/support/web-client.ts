/**
 * A browser without a browser, for HTTP-level tests of the web UI: it keeps cookies, posts forms
 * as `application/x-www-form-urlencoded`, never follows redirects (tests look at them), and can
 * fill in a form's hidden CSRF field from the page that holds the form.
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();

  /** @param headers sent with every request, e.g. the X-Forwarded-For a reverse proxy adds */
  constructor(
    private readonly base: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  get(path: string): Promise<Response> {
    return this.send(path, { method: 'GET' });
  }

  /** Posts a form; a URLSearchParams may repeat a field, as a hand-made request can. */
  post(path: string, fields: Readonly<Record<string, string>> | URLSearchParams): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Opens `page`, takes the `_csrf` of its form, and posts `fields` with it to `action`. */
  async submit(page: string, action: string, fields: Readonly<Record<string, string>>): Promise<Response> {
    const html = await (await this.get(page)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`${page} has no form with a CSRF field`);
    return this.post(action, { ...fields, _csrf: csrf });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      redirect: 'manual',
      headers: {
        ...this.headers,
        ...(init.headers as Record<string, string> | undefined),
        ...(cookie && { cookie }),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    return response;
  }
}

/** Signs `login` in on the user UI and makes an API token of the account's own on its tokens page. */
export async function accountToken(base: string, login: string, password: string): Promise<string> {
  const client = new WebClient(base);
  const signedIn = await client.submit('/login', '/login', { login, password });
  if (signedIn.status !== 302) throw new Error(`${login} could not sign in: ${signedIn.status}`);
  const page = await (await client.submit('/tokens', '/tokens', { name: `${login} script` })).text();
  const token = /gyre_pat_[A-Za-z0-9_-]{43}/.exec(page)?.[0];
  if (token === undefined) throw new Error(`the tokens page made ${login} no token`);
  return token;
}
