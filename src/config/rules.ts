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
  checkS3(raw, isSet, problems, warnings);
  checkBackups(raw, isSet, problems);
  return { problems, warnings };
}

const S3_SETTINGS: readonly SettingName[] = [
  'GYRE_S3_ENDPOINT',
  'GYRE_S3_REGION',
  'GYRE_S3_ACCESS_KEY_ID',
  'GYRE_S3_SECRET_ACCESS_KEY',
  'GYRE_S3_FORCE_PATH_STYLE',
];

/**
 * An S3 blob store or backup destination needs the credentials; S3 settings that neither uses are
 * a likely mistake.
 */
function checkS3(raw: RawSettings, isSet: RuleContext['isSet'], problems: InputProblem[], warnings: string[]): void {
  const users: [SettingName, { bucket: string } | undefined, string][] = [
    [
      'GYRE_BLOB_STORE',
      raw.GYRE_BLOB_STORE?.kind === 's3' ? raw.GYRE_BLOB_STORE : undefined,
      'GYRE_BLOB_STORE=file to keep blobs on the services box',
    ],
    [
      'GYRE_BACKUP_DESTINATION',
      raw.GYRE_BACKUP_DESTINATION?.kind === 's3' ? raw.GYRE_BACKUP_DESTINATION : undefined,
      'GYRE_BACKUP_DESTINATION=data to keep backups on the data volume',
    ],
  ];
  const using = users.filter(([, location]) => location !== undefined);
  if (using.length === 0) {
    const ignored = S3_SETTINGS.filter(isSet);
    if (ignored.length > 0 && raw.GYRE_BLOB_STORE !== undefined)
      warnings.push(
        `${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored because neither GYRE_BLOB_STORE nor GYRE_BACKUP_DESTINATION is an S3 bucket; set GYRE_BLOB_STORE=s3://bucket to keep blobs in S3`,
      );
    return;
  }
  const [user, location, fallback] = using[0]!;
  const credentials: [SettingName, string][] = [
    ['GYRE_S3_ACCESS_KEY_ID', 'the access key ID'],
    ['GYRE_S3_SECRET_ACCESS_KEY', 'the secret access key (or GYRE_S3_SECRET_ACCESS_KEY_FILE)'],
  ];
  for (const [name, what] of credentials)
    if (!isSet(name))
      problems.push({
        input: name,
        message: `is required because ${user} is an S3 bucket`,
        hint: `set ${what} that the S3 server issued for bucket ${location!.bucket}, or set ${fallback}`,
      });
}

/** Scheduled backups dump the bundled database, as `gyre backup create` does. */
function checkBackups(raw: RawSettings, isSet: RuleContext['isSet'], problems: InputProblem[]): void {
  if (raw.GYRE_BACKUP_SCHEDULE !== undefined && isSet('GYRE_DATABASE_URL'))
    problems.push({
      input: 'GYRE_BACKUP_SCHEDULE',
      message: 'backs up the bundled database, but GYRE_DATABASE_URL names an external one',
      hint: "unset GYRE_BACKUP_SCHEDULE and back the external database up with its own tools (its operator's snapshots, pg_dump or a base backup)",
    });
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
