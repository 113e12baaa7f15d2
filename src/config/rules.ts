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

/** What the rules may ask about the variables behind the parsed values. */
export interface RuleContext {
  /**
   * Whether the user gave the setting in any form, even one that failed to parse (and so is
   * absent from the raw settings). Keeps a bad value from also being reported as missing.
   */
  readonly isSet: (name: SettingName) => boolean;
}

const REQUIRED: Record<SettingsPurpose, readonly SettingName[]> = {
  serve: ['GYRE_JOIN_SECRET', 'GYRE_ADMIN_PASSWORD', 'GYRE_ENCRYPTION_KEY', 'GYRE_SESSION_SECRET'],
  agent: ['GYRE_JOIN_SECRET', 'GYRE_SERVICES_URL'],
  generate: [],
};

/** Applies every cross-field rule and returns all problems at once. */
export function checkRules(raw: RawSettings, purpose: SettingsPurpose, context: RuleContext): RuleResult {
  const { isSet } = context;
  const problems: InputProblem[] = [];
  const warnings: string[] = [];

  for (const name of REQUIRED[purpose]) {
    if (!isSet(name)) problems.push(missing(name, purpose));
  }
  if (purpose === 'serve' && !isSet('GYRE_DATABASE_URL') && !isSet('GYRE_DB_PASSWORD')) {
    problems.push({
      input: 'GYRE_DB_PASSWORD',
      message: 'is required for the bundled database (GYRE_DATABASE_URL is not set)',
      hint: generatedHint('GYRE_DB_PASSWORD'),
    });
  }
  if (isSet('GYRE_DATABASE_URL') && isSet('GYRE_DB_PASSWORD')) {
    warnings.push('GYRE_DB_PASSWORD is ignored because GYRE_DATABASE_URL points at an external database');
  }

  const tlsOn = isSet('GYRE_TLS_CERT_FILE') && isSet('GYRE_TLS_KEY_FILE');
  if (isSet('GYRE_TLS_CERT_FILE') !== isSet('GYRE_TLS_KEY_FILE')) {
    const [given, absent] = isSet('GYRE_TLS_CERT_FILE')
      ? ['GYRE_TLS_CERT_FILE', 'GYRE_TLS_KEY_FILE']
      : ['GYRE_TLS_KEY_FILE', 'GYRE_TLS_CERT_FILE'];
    problems.push({
      input: absent,
      message: `is required because ${given} is set (TLS needs both a certificate and its key)`,
      hint: `set ${absent}, or unset ${given} to serve plain HTTP`,
    });
  } else if (!tlsOn && isSet('GYRE_HTTPS_PORT')) {
    warnings.push(
      'GYRE_HTTPS_PORT is ignored because TLS is off; set GYRE_TLS_CERT_FILE and GYRE_TLS_KEY_FILE to serve HTTPS',
    );
  }

  problems.push(...checkDistinctPorts(raw, tlsOn));
  checkBlobStore(raw, isSet, problems, warnings);
  return { problems, warnings };
}

const S3_SETTINGS: readonly SettingName[] = [
  'GYRE_S3_ENDPOINT',
  'GYRE_S3_REGION',
  'GYRE_S3_ACCESS_KEY_ID',
  'GYRE_S3_SECRET_ACCESS_KEY',
  'GYRE_S3_FORCE_PATH_STYLE',
];

/** An S3 store needs its credentials; S3 settings beside a file store are a likely mistake. */
function checkBlobStore(
  raw: RawSettings,
  isSet: RuleContext['isSet'],
  problems: InputProblem[],
  warnings: string[],
): void {
  const location = raw.GYRE_BLOB_STORE;
  if (location?.kind === 's3') {
    const credentials: [SettingName, string][] = [
      ['GYRE_S3_ACCESS_KEY_ID', 'the access key ID'],
      ['GYRE_S3_SECRET_ACCESS_KEY', 'the secret access key (or GYRE_S3_SECRET_ACCESS_KEY_FILE)'],
    ];
    for (const [name, what] of credentials)
      if (!isSet(name))
        problems.push({
          input: name,
          message: 'is required because GYRE_BLOB_STORE is an S3 bucket',
          hint: `set ${what} that the S3 server issued for bucket ${location.bucket}, or set GYRE_BLOB_STORE=file to keep blobs on the services box`,
        });
  } else if (location?.kind === 'file') {
    const ignored = S3_SETTINGS.filter(isSet);
    if (ignored.length > 0)
      warnings.push(
        `${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored because GYRE_BLOB_STORE is file; set GYRE_BLOB_STORE=s3://bucket to keep blobs in S3`,
      );
  }
}

function checkDistinctPorts(raw: RawSettings, tlsOn: boolean): InputProblem[] {
  const ports: [SettingName, number | undefined][] = [
    ['GYRE_HTTP_PORT', raw.GYRE_HTTP_PORT],
    ['GYRE_ADMIN_PORT', raw.GYRE_ADMIN_PORT],
  ];
  if (tlsOn) ports.push(['GYRE_HTTPS_PORT', raw.GYRE_HTTPS_PORT]);
  const problems: InputProblem[] = [];
  ports.forEach(([name, port], i) => {
    const clash = ports.slice(0, i).find(([, other]) => other !== undefined && other === port);
    if (clash)
      problems.push({
        input: name,
        message: `uses port ${port}, which ${clash[0]} already uses`,
        hint: `give ${name} a port of its own; every listener needs one`,
      });
  });
  return problems;
}

function missing(name: SettingName, purpose: SettingsPurpose): InputProblem {
  const who = purpose === 'serve' ? 'the services box' : 'a builder';
  return { input: name, message: `is required by ${who} but is not set`, hint: missingHint(name, purpose) };
}

function missingHint(name: SettingName, purpose: SettingsPurpose): string {
  if (name === 'GYRE_SERVICES_URL')
    return 'set it to the URL builders use to reach the services box, e.g. GYRE_SERVICES_URL=http://10.0.0.5 (or SERVICES_PRIVATE_IP=10.0.0.5)';
  // A builder must present the services box's secret; a freshly generated one would be rejected.
  if (name === 'GYRE_JOIN_SECRET' && purpose === 'agent')
    return "copy GYRE_JOIN_SECRET from the services box's .env (or set CIRCLE_SECRET_PASSPHRASE, or GYRE_JOIN_SECRET_FILE)";
  return generatedHint(name);
}

function generatedHint(name: SettingName): string {
  return `run \`gyre init\` to generate a .env with strong secrets, or set ${name} (or ${name}_FILE) yourself`;
}
