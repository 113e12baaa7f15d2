/**
 * Cross-field rules: checks that need more than one setting, run after each value has parsed.
 */
import type { InputProblem } from '../shared/errors.js';
import type { RawSettings, SettingName } from './schema.js';

/** What the settings are loaded for decides which of them are required. */
export type SettingsPurpose = 'serve' | 'agent' | 'generate';

export interface RuleResult {
  readonly problems: InputProblem[];
  readonly warnings: string[];
}

const GENERATED_HINT = 'run `gyre init` to generate a .env with strong secrets, or set it (or NAME_FILE) yourself';

const REQUIRED: Record<SettingsPurpose, readonly SettingName[]> = {
  serve: ['GYRE_JOIN_SECRET', 'GYRE_ADMIN_PASSWORD', 'GYRE_ENCRYPTION_KEY', 'GYRE_SESSION_SECRET'],
  agent: ['GYRE_JOIN_SECRET', 'GYRE_SERVICES_URL'],
  generate: [],
};

/** Applies every cross-field rule and returns all problems at once. */
export function checkRules(raw: RawSettings, purpose: SettingsPurpose, origin: (name: SettingName) => string): RuleResult {
  const problems: InputProblem[] = [];
  const warnings: string[] = [];

  for (const name of REQUIRED[purpose]) {
    if (raw[name] === undefined) problems.push(missing(origin(name), purpose));
  }
  if (purpose === 'serve' && raw.GYRE_DATABASE_URL === undefined && raw.GYRE_DB_PASSWORD === undefined) {
    problems.push({ input: 'GYRE_DB_PASSWORD', message: 'is required for the bundled database (GYRE_DATABASE_URL is not set)', hint: GENERATED_HINT });
  }
  if (raw.GYRE_DATABASE_URL !== undefined && raw.GYRE_DB_PASSWORD !== undefined) {
    warnings.push('GYRE_DB_PASSWORD is ignored because GYRE_DATABASE_URL points at an external database');
  }

  if ((raw.GYRE_TLS_CERT_FILE === undefined) !== (raw.GYRE_TLS_KEY_FILE === undefined)) {
    const [given, absent] = raw.GYRE_TLS_CERT_FILE === undefined ? ['GYRE_TLS_KEY_FILE', 'GYRE_TLS_CERT_FILE'] : ['GYRE_TLS_CERT_FILE', 'GYRE_TLS_KEY_FILE'];
    problems.push({ input: absent, message: `is required because ${given} is set (TLS needs both a certificate and its key)`, hint: `set ${absent}, or unset ${given} to serve plain HTTP` });
  }

  problems.push(...checkDistinctPorts(raw));
  return { problems, warnings };
}

function checkDistinctPorts(raw: RawSettings): InputProblem[] {
  const ports: [SettingName, number | undefined][] = [
    ['GYRE_HTTP_PORT', raw.GYRE_HTTP_PORT],
    ['GYRE_ADMIN_PORT', raw.GYRE_ADMIN_PORT],
  ];
  if (raw.GYRE_TLS_CERT_FILE !== undefined) ports.push(['GYRE_HTTPS_PORT', raw.GYRE_HTTPS_PORT]);
  const problems: InputProblem[] = [];
  ports.forEach(([name, port], i) => {
    const clash = ports.slice(0, i).find(([, other]) => other !== undefined && other === port);
    if (clash) problems.push({ input: name, message: `uses port ${port}, which ${clash[0]} already uses`, hint: 'give every listener its own port' });
  });
  return problems;
}

function missing(input: string, purpose: SettingsPurpose): InputProblem {
  const who = purpose === 'serve' ? 'the services box' : 'a builder';
  const hint = input === 'GYRE_SERVICES_URL' ? 'set it to the URL builders use to reach the services box, e.g. http://10.0.0.5 (or SERVICES_PRIVATE_IP=10.0.0.5)' : GENERATED_HINT;
  return { input, message: `is required by ${who} but is not set`, hint };
}
