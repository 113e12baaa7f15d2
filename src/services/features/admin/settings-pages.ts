/**
 * The settings page: join secret rotation (the new secret is shown once, on the answer to the
 * post), the webhook base URL, the resource class table and the GitHub connection. Each form is
 * validated whole; every problem is listed next to the form, with what was entered kept.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InputProblem } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/durations.js';
import { DEFAULT_RESOURCE_CLASSES } from '../../core/pipeline-config/resource-classes.js';
import { checkCsrf } from '../../http/session-auth.js';
import { sendPage } from '../../http/web-scope.js';
import type { AdminDeps } from './admin-deps.js';
import { actorOf, adminPageModel } from './admin-page.js';
import {
  formatResourceClasses,
  GITHUB_DOTCOM,
  parseGitHubApp,
  parseGracePeriod,
  parseResourceClasses,
  parseWebhookBaseUrl,
  type Parsed,
} from '../../core/settings/settings-input.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';

type Section = 'joinSecret' | 'webhooks' | 'resourceClasses' | 'github';
type Form = Record<string, string | undefined>;

const DEFAULT_GRACE = '1h';
const SAVED: Readonly<Record<string, string>> = {
  webhooks: 'Webhook base URL saved.',
  resourceClasses: 'Resource classes saved.',
  github: 'GitHub connection saved.',
};

/** What a re-rendered page shows in place of the stored values: the section's form as entered, its problems, or a new secret. */
interface PageState {
  readonly section?: Section;
  readonly entered?: Form;
  readonly problems?: readonly InputProblem[];
  readonly newSecret?: { readonly secret: string; readonly grace: string };
  readonly saved?: string;
}

const describe = (problems: readonly InputProblem[]) =>
  problems.map((p) => `${p.input}: ${p.message}${p.hint ? ` (fix: ${p.hint})` : ''}`);

async function showSettings(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AdminDeps,
  state: PageState = {},
): Promise<FastifyReply> {
  const settings = deps.runtimeSettings;
  const [webhookBaseUrl, classes, github] = [
    await settings.get('webhooks.baseUrl'),
    await settings.get('resourceClasses'),
    await settings.get('github.app'),
  ];
  const table = classes ?? DEFAULT_RESOURCE_CLASSES;
  const entered = (section: Section) => (state.section === section ? state.entered : undefined);
  const errors = (section: Section) => (state.section === section && state.problems ? describe(state.problems) : []);
  return sendPage(reply, deps, 'admin-settings', {
    ...adminPageModel(request, 'Settings'),
    saved: state.saved,
    joinSecret: {
      newSecret: state.newSecret,
      grace: entered('joinSecret')?.['grace'] ?? DEFAULT_GRACE,
      errors: errors('joinSecret'),
    },
    webhooks: {
      value: entered('webhooks')?.['webhookBaseUrl'] ?? webhookBaseUrl ?? '',
      publicUrl: deps.publicUrl,
      effective: webhookBaseUrl ?? deps.publicUrl,
      errors: errors('webhooks'),
    },
    resourceClasses: {
      rows: Object.entries(table.classes).map(([name, spec]) => ({
        name,
        ...spec,
        isDefault: name === table.defaultClass,
      })),
      text: entered('resourceClasses')?.['classes'] ?? formatResourceClasses(table),
      defaultClass: entered('resourceClasses')?.['defaultClass'] ?? table.defaultClass,
      builtIn: classes === undefined,
      errors: errors('resourceClasses'),
    },
    github: {
      baseUrl: entered('github')?.['baseUrl'] ?? github?.baseUrl ?? GITHUB_DOTCOM,
      apiUrl: entered('github')?.['apiUrl'] ?? github?.apiUrl ?? '',
      clientId: entered('github')?.['clientId'] ?? github?.clientId ?? '',
      secretSet: github?.clientSecretSealed !== undefined,
      statusTokenSet: github?.statusTokenSealed !== undefined,
      errors: errors('github'),
    },
  });
}

export function registerSettingsPages(web: FastifyInstance, deps: AdminDeps): void {
  web.get<{ Querystring: { saved?: string } }>('/settings', { config: ADMIN_ONLY }, (request, reply) =>
    showSettings(request, reply, deps, { saved: SAVED[request.query.saved ?? ''] }),
  );

  /** Validates a section's form, saves it, and sends the browser back to the page. */
  const save =
    <T>(
      section: Section,
      parse: (form: Form) => Parsed<T>,
      store: (value: T, request: FastifyRequest) => Promise<void>,
    ) =>
    async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
      checkCsrf(request);
      const form = request.body ?? {};
      const parsed = parse(form);
      if (!parsed.ok)
        return showSettings(request, reply.code(400), deps, { section, entered: form, problems: parsed.problems });
      await store(parsed.value, request);
      return reply.redirect(`/settings?saved=${section}`, 303);
    };

  web.post<{ Body: Form }>('/settings/join-secret', { config: ADMIN_ONLY }, async (request, reply) => {
    checkCsrf(request);
    const grace = parseGracePeriod(request.body?.['grace'] ?? DEFAULT_GRACE);
    if (!grace.ok)
      return showSettings(request, reply.code(400), deps, {
        section: 'joinSecret',
        entered: request.body,
        problems: grace.problems,
      });
    const secret = await deps.joinSecrets.rotate(grace.value, actorOf(request));
    request.log.info({ actor: actorOf(request), grace: formatDuration(grace.value) }, 'join secret rotated');
    // Shown on this answer only: the page is not cached and the secret is stored hashed.
    return showSettings(request, reply.header('cache-control', 'no-store'), deps, {
      newSecret: { secret, grace: formatDuration(grace.value) },
    });
  });

  web.post<{ Body: Form }>(
    '/settings/webhooks',
    { config: ADMIN_ONLY },
    save(
      'webhooks',
      (form) => parseWebhookBaseUrl(form['webhookBaseUrl'] ?? ''),
      async (url, request) => {
        if (url === undefined) await deps.runtimeSettings.remove('webhooks.baseUrl', actorOf(request));
        else await deps.runtimeSettings.put('webhooks.baseUrl', url, actorOf(request), { value: url });
      },
    ),
  );

  web.post<{ Body: Form }>(
    '/settings/resource-classes',
    { config: ADMIN_ONLY },
    save(
      'resourceClasses',
      (form) => parseResourceClasses(form['classes'] ?? '', form['defaultClass'] ?? ''),
      (table, request) => deps.runtimeSettings.put('resourceClasses', table, actorOf(request), table),
    ),
  );

  web.post<{ Body: Form }>(
    '/settings/github',
    { config: ADMIN_ONLY },
    save(
      'github',
      (form) =>
        parseGitHubApp({
          baseUrl: form['baseUrl'] ?? '',
          apiUrl: form['apiUrl'] ?? '',
          clientId: form['clientId'] ?? '',
          clientSecret: form['clientSecret'] ?? '',
          statusToken: form['statusToken'] ?? '',
          removeStatusToken: form['removeStatusToken'] !== undefined,
        }),
      (input, request) => deps.runtimeSettings.putGitHubApp(input, actorOf(request)),
    ),
  );
}
