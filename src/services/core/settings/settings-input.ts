/**
 * The admin console's settings forms, parsed and checked without I/O: each parser returns the
 * value to store or every problem with the form at once, each naming the field and the fix.
 */
import type { InputProblem } from '../../../shared/errors.js';
import { parseDuration } from '../../../shared/durations.js';
import type { ResourceClassTable } from '../pipeline-config/model.js';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly InputProblem[] };

/** The GitHub connection as an administrator enters it; the client secret and status token only when they change. */
export interface GitHubAppInput {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly clientId: string;
  /** Undefined keeps the stored secret. */
  readonly clientSecret: string | undefined;
  /**
   * A GitHub token allowed to create commit statuses (repo:status, or "Commit statuses: write").
   * Undefined (or absent) keeps the stored token; null removes it, which stops commit statuses.
   */
  readonly statusToken?: string | null;
}

export const GITHUB_DOTCOM = 'https://github.com';
const RESOURCE_CLASS_NAME = /^[a-z0-9][a-z0-9.+_-]{0,39}$/;
const MAX_CPUS = 256;
const MAX_MEMORY_MIB = 1024 * 1024;
const MAX_DRAIN_MS = 7 * 86_400_000;
const MAX_GRACE_MS = 30 * 86_400_000;

const fail = <T>(problems: readonly InputProblem[]): Parsed<T> => ({ ok: false, problems });
const done = <T>(value: T, problems: readonly InputProblem[]): Parsed<T> =>
  problems.length > 0 ? fail(problems) : { ok: true, value };

/** A duration field ("30m", "1h", "0"), at most `maxMs`. */
export function parseDurationField(input: string, text: string, maxMs: number): Parsed<number> {
  const ms = parseDuration(text);
  if (ms === undefined)
    return fail([{ input, message: `"${text}" is not a duration`, hint: 'write it like 30m, 1h30m, 90s or 0' }]);
  if (ms > maxMs) return fail([{ input, message: `must be at most ${maxMs / 86_400_000} days` }]);
  return { ok: true, value: ms };
}

export const parseDrainDeadline = (text: string) => parseDurationField('deadline', text, MAX_DRAIN_MS);
export const parseGracePeriod = (text: string) => parseDurationField('grace', text, MAX_GRACE_MS);

/** An http(s) base URL without query or fragment, returned without a trailing slash. */
export function parseBaseUrl(input: string, text: string): Parsed<string> {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return fail([{ input, message: `"${text}" is not a URL`, hint: 'write it like https://ci.example.com' }]);
  }
  const problems: InputProblem[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    problems.push({ input, message: `must use http or https, not ${url.protocol.slice(0, -1)}` });
  if (url.search || url.hash) problems.push({ input, message: 'must not have a query or fragment' });
  if (url.username || url.password) problems.push({ input, message: 'must not contain a user name or password' });
  return done(`${url.origin}${url.pathname}`.replace(/\/+$/, ''), problems);
}

/** The webhook base URL override; empty means "use GYRE_PUBLIC_URL" (undefined). */
export function parseWebhookBaseUrl(text: string): Parsed<string | undefined> {
  return text.trim() === '' ? { ok: true, value: undefined } : parseBaseUrl('webhookBaseUrl', text);
}

/**
 * The resource class table from a textarea, one class per line: `name cpus memoryMiB`
 * (blank lines and `#` comments are skipped), and the name of the default class.
 */
export function parseResourceClasses(text: string, defaultClass: string): Parsed<ResourceClassTable> {
  const problems: InputProblem[] = [];
  const classes: Record<string, { cpus: number; memoryMiB: number }> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const input = `classes line ${index + 1}`;
    const [name = '', cpusText = '', memoryText = '', ...extra] = line.split(/\s+/);
    if (extra.length > 0 || memoryText === '')
      return void problems.push({
        input,
        message: `"${line}" does not have three parts`,
        hint: 'write each line as: name cpus memoryMiB, e.g. medium 2 4096',
      });
    if (!RESOURCE_CLASS_NAME.test(name))
      problems.push({
        input,
        message: `"${name}" is not a valid class name`,
        hint: 'use lowercase letters, digits, ".", "+", "_" or "-", up to 40 characters',
      });
    else if (Object.hasOwn(classes, name)) problems.push({ input, message: `the class "${name}" is listed twice` });
    const cpus = Number(cpusText);
    if (!/^\d+(\.\d+)?$/.test(cpusText) || cpus <= 0 || cpus > MAX_CPUS)
      problems.push({ input, message: `CPUs "${cpusText}" must be a number above 0 and at most ${MAX_CPUS}` });
    const memoryMiB = Number(memoryText);
    if (!/^\d+$/.test(memoryText) || memoryMiB < 4 || memoryMiB > MAX_MEMORY_MIB)
      problems.push({
        input,
        message: `memory "${memoryText}" must be a whole number of MiB from 4 to ${MAX_MEMORY_MIB}`,
      });
    classes[name] = { cpus, memoryMiB };
  });
  const names = Object.keys(classes);
  if (names.length === 0 && problems.length === 0)
    problems.push({ input: 'classes', message: 'must list at least one class' });
  const chosen = defaultClass.trim();
  if (names.length > 0 && !Object.hasOwn(classes, chosen))
    problems.push({
      input: 'defaultClass',
      message: `"${chosen}" is not one of the classes (${names.join(', ')})`,
      hint: 'choose a class from the table as the default',
    });
  return done({ defaultClass: chosen, classes }, problems);
}

/** Formats a table back into the textarea's lines. */
export function formatResourceClasses(table: ResourceClassTable): string {
  return Object.entries(table.classes)
    .map(([name, spec]) => `${name} ${spec.cpus} ${spec.memoryMiB}`)
    .join('\n');
}

/** The API URL that goes with a GitHub base URL: api.github.com, or `<base>/api/v3` for GitHub Enterprise. */
export function defaultGitHubApiUrl(baseUrl: string): string {
  return baseUrl === GITHUB_DOTCOM ? 'https://api.github.com' : `${baseUrl}/api/v3`;
}

/** A GitHub token as it may appear in an Authorization header: ghp_…, github_pat_…, ghs_…, or a classic 40-hex token. */
const GITHUB_TOKEN = /^[A-Za-z0-9_.-]{8,255}$/;

/**
 * The GitHub connection form; blank base URL means github.com, blank API URL is derived from it,
 * blank secret or status token keeps the stored one, and `removeStatusToken` (a checkbox) removes the token.
 */
export function parseGitHubApp(fields: {
  baseUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  statusToken?: string;
  removeStatusToken?: boolean;
}): Parsed<GitHubAppInput> {
  const base =
    fields.baseUrl.trim() === ''
      ? { ok: true as const, value: GITHUB_DOTCOM }
      : parseBaseUrl('baseUrl', fields.baseUrl);
  const api =
    fields.apiUrl.trim() === ''
      ? { ok: true as const, value: base.ok ? defaultGitHubApiUrl(base.value) : '' }
      : parseBaseUrl('apiUrl', fields.apiUrl);
  const clientId = fields.clientId.trim();
  const problems = [...(base.ok ? [] : base.problems), ...(api.ok ? [] : api.problems)];
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(clientId))
    problems.push({
      input: 'clientId',
      message: clientId === '' ? 'is required' : 'must be letters, digits, ".", "_" or "-"',
      hint: "copy the Client ID from the OAuth app's settings page on GitHub",
    });
  const secret = fields.clientSecret.trim();
  if (secret !== '' && (secret.length < 8 || secret.length > 200))
    problems.push({
      input: 'clientSecret',
      message: 'must be 8 to 200 characters',
      hint: 'generate a client secret on the OAuth app settings page on GitHub',
    });
  const token = (fields.statusToken ?? '').trim();
  if (token !== '' && !GITHUB_TOKEN.test(token))
    problems.push({
      input: 'statusToken',
      message: 'must be 8 to 255 letters, digits, "_", "." or "-"',
      hint: 'paste a GitHub token that may write commit statuses, e.g. a fine-grained token with "Commit statuses: write"',
    });
  if (token !== '' && fields.removeStatusToken === true)
    problems.push({
      input: 'statusToken',
      message: 'cannot be entered and removed at once',
      hint: 'either paste a new token or tick "remove", not both',
    });
  if (!base.ok || !api.ok) return fail(problems);
  const statusToken = fields.removeStatusToken === true ? null : token === '' ? undefined : token;
  return done(
    {
      baseUrl: base.value,
      apiUrl: api.value,
      clientId,
      clientSecret: secret === '' ? undefined : secret,
      ...(statusToken !== undefined && { statusToken }),
    },
    problems,
  );
}
