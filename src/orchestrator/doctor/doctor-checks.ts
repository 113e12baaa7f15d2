/**
 * `gyre doctor`'s judgements: pure functions from what was measured to one check each, with the
 * fix an operator applies. Measuring (Docker, the API, TLS) is in run-doctor.ts.
 */
import type {
  BackupsResponse,
  BuilderResponse,
  DeliveryResponse,
  GitHubCheckResponse,
  JoinSecretAgeResponse,
} from '../../api/responses.js';
import { formatRoundedByteSize } from '../../shared/byte-size.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a warning or a failure. */
  readonly fix?: string;
}

/** Below these, a disk is failing (the database stops taking writes soon) or worth a warning. */
const DISK_FAIL = { bytes: 1024 ** 3, share: 0.05 };
const DISK_WARN = { bytes: 5 * 1024 ** 3, share: 0.15 };
const CERTIFICATE_WARN_DAYS = 30;
const CLOCK_WARN_MS = 5_000;
const BACKUP_WARN_DAYS = 7;
/** A scheduled backup is stopped after 6 h; one still running later is stuck with its process. */
const BACKUP_RUN_STUCK_MS = 7 * 60 * 60 * 1000;
/** A join secret older than this is worth rotating: every builder host's `.env` holds it. */
const JOIN_SECRET_WARN_DAYS = 90;
/** The window failing webhook deliveries are counted in. */
const DELIVERY_WINDOW_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DiskSpace {
  readonly availableBytes: number;
  readonly totalBytes: number;
}

/** Free space of a volume, as `df` in the container that mounts it sees it. */
export function diskCheck(check: string, what: string, space: DiskSpace): DoctorCheck {
  const share = space.totalBytes === 0 ? 0 : space.availableBytes / space.totalBytes;
  const free = `${formatRoundedByteSize(space.availableBytes)} free of ${formatRoundedByteSize(space.totalBytes)} (${Math.round(share * 100)}%)`;
  const fix = `free space on the Docker host's disk that holds ${what}, or keep less: lower GYRE_ARTIFACT_MAX_AGE_DAYS, GYRE_CACHE_MAX_AGE_DAYS or GYRE_CACHE_MAX_TOTAL_SIZE (see \`gyre settings\`)`;
  if (space.availableBytes < DISK_FAIL.bytes || share < DISK_FAIL.share)
    return { check, status: 'fail', detail: `${what}: only ${free}`, fix };
  if (space.availableBytes < DISK_WARN.bytes || share < DISK_WARN.share)
    return { check, status: 'warn', detail: `${what}: ${free}`, fix };
  return { check, status: 'ok', detail: `${what}: ${free}` };
}

/** The certificate the HTTPS listener serves. */
export function certificateCheck(
  served: { readonly subject: string; readonly validFrom: Date; readonly validTo: Date },
  now: Date,
): DoctorCheck {
  const check = 'certificate';
  const fix =
    'put a valid certificate and key in GYRE_TLS_CERT_FILE and GYRE_TLS_KEY_FILE (or run `gyre init --self-signed-tls --force` for a new self-signed one), then `gyre up`';
  if (Number.isNaN(served.validFrom.getTime()) || Number.isNaN(served.validTo.getTime()))
    return { check, status: 'fail', detail: `${served.subject} has dates that cannot be read`, fix };
  const until = `valid until ${served.validTo.toISOString()}`;
  if (now < served.validFrom)
    return {
      check,
      status: 'fail',
      detail: `${served.subject} is not valid before ${served.validFrom.toISOString()}: clients refuse it`,
      fix,
    };
  if (now > served.validTo)
    return { check, status: 'fail', detail: `${served.subject} expired at ${served.validTo.toISOString()}`, fix };
  const days = Math.floor((served.validTo.getTime() - now.getTime()) / DAY_MS);
  if (days < CERTIFICATE_WARN_DAYS)
    return { check, status: 'warn', detail: `${served.subject} expires in ${days} days (${until})`, fix };
  return { check, status: 'ok', detail: `${served.subject}, ${until}` };
}

/** Builders: some take jobs, none is lost, all run the services box's version. */
export function buildersCheck(
  builders: readonly Pick<BuilderResponse, 'name' | 'state' | 'version' | 'lastSeenAt'>[],
  servicesVersion: string,
): DoctorCheck {
  const check = 'builders';
  const live = builders.filter((b) => b.state !== 'revoked');
  const lost = live.filter((b) => b.state === 'lost');
  if (lost.length > 0)
    return {
      check,
      status: 'fail',
      detail: `${lost.map((b) => `${b.name} (last seen ${b.lastSeenAt})`).join(', ')} ${lost.length === 1 ? 'is' : 'are'} lost`,
      fix: 'check that each runs and reaches the services box (`gyre builder list`, `docker compose -p gyre-builder-<name> logs agent` on its host), or remove it with `gyre builder remove --force <name>`',
    };
  if (!live.some((b) => b.state === 'active'))
    return {
      check,
      status: 'warn',
      detail:
        live.length === 0 ? 'no builder has joined: jobs wait' : 'no builder takes jobs (all draining or drained)',
      fix: 'join one: `gyre builder join --host <docker-host>`',
    };
  const skewed = live.filter((b) => b.version !== servicesVersion);
  if (skewed.length > 0)
    return {
      check,
      status: 'warn',
      detail: `${skewed.map((b) => `${b.name} runs ${b.version}`).join(', ')}; the services box runs ${servicesVersion}`,
      fix: 'roll them onto this version: `gyre builder roll`',
    };
  return { check, status: 'ok', detail: `${live.length} builder(s), all on ${servicesVersion}` };
}

/**
 * Clocks of the builders' Docker hosts against the services host's, each given as its offset from
 * this machine's clock (measured at the middle of its own round trip, so that connecting to a
 * slow host is not taken for skew).
 */
export function clockCheck(
  servicesOffsetMs: number,
  builderHosts: readonly { readonly name: string; readonly offsetMs: number }[],
): DoctorCheck {
  const check = 'clocks';
  if (builderHosts.length === 0)
    return { check, status: 'skip', detail: 'no builder host is recorded in the state folder to compare with' };
  const skews = builderHosts.map((b) => ({ name: b.name, ms: b.offsetMs - servicesOffsetMs }));
  const off = skews.filter((s) => Math.abs(s.ms) > CLOCK_WARN_MS);
  if (off.length > 0)
    return {
      check,
      status: 'warn',
      detail: off.map((s) => `${s.name}'s host is ${(s.ms / 1000).toFixed(1)} s off the services host`).join(', '),
      fix: 'run NTP (chrony or systemd-timesyncd) on every host: log times and time-outs compare clocks',
    };
  return {
    check,
    status: 'ok',
    detail: `${skews.length} builder host(s) within ${CLOCK_WARN_MS / 1000} s of the services host`,
  };
}

/** A backup doctor knows of: its place, when it was made, and whether it was checked. */
export interface KnownBackup {
  readonly backup: string;
  readonly createdAt: string;
  /** Undefined: never checked. */
  readonly verified?: boolean;
}

/**
 * The newest backup, whichever made it: `gyre backup create` from this state folder (with `gyre
 * backup verify`'s verdict), or the schedule (read back by the services box). A scheduled run that
 * failed after it fails the check.
 */
export function backupCheck(
  manual: KnownBackup | undefined,
  scheduled: BackupsResponse | undefined,
  now: Date,
): DoctorCheck {
  const check = 'backup';
  const fix = scheduled?.schedule
    ? "see why on the admin console's Backups page, or back up now: `gyre backup create --out <dir>`"
    : 'back up: `gyre backup create --out <dir>`, then `gyre backup verify <dir>`; or set GYRE_BACKUP_SCHEDULE';
  const stuck = scheduled?.items.find(
    (run) => run.state === 'running' && now.getTime() - Date.parse(run.startedAt) > BACKUP_RUN_STUCK_MS,
  );
  if (stuck)
    return {
      check,
      status: 'warn',
      detail: `the scheduled backup ${stuck.name} has run since ${stuck.startedAt}, past its deadline: its services process may hang`,
      fix: `restart the app (docker compose -p gyre-services restart app); the next pass settles the run`,
    };
  const runs = scheduled?.items.filter((run) => run.state !== 'running') ?? [];
  const lastRun = runs[0];
  if (lastRun?.state === 'failed' && (!manual || Date.parse(lastRun.startedAt) > Date.parse(manual.createdAt)))
    return {
      check,
      status: 'fail',
      detail: `the last scheduled backup, ${lastRun.name}, failed: ${lastRun.error ?? 'no reason recorded'}`,
      fix,
    };
  const good = runs.find((run) => run.state === 'succeeded');
  const known: KnownBackup[] = [
    ...(manual ? [manual] : []),
    ...(good ? [{ backup: `${good.destination}/${good.name}`, createdAt: good.startedAt, verified: true }] : []),
  ];
  const last = known.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
  if (!last)
    return {
      check,
      status: 'warn',
      detail: scheduled?.schedule
        ? `no backup yet: none from this state folder, and the schedule (${scheduled.schedule}) has not run`
        : 'no backup was made from this state folder, and scheduled backups are off',
      fix,
    };
  const days = daysSince(last.createdAt, now);
  const verified =
    last.verified === undefined ? 'not verified' : last.verified ? 'verified' : 'FAILED its verification';
  const detail = `${last.backup}, ${days} day(s) old, ${verified}`;
  if (last.verified === false) return { check, status: 'fail', detail, fix };
  if (days >= BACKUP_WARN_DAYS || last.verified === undefined) return { check, status: 'warn', detail, fix };
  return { check, status: 'ok', detail };
}

/**
 * Whole days from `time` to `now`. `now` is taken when doctor starts, and a backup may start
 * while it reads the rest: that one is 0 days old, not -1 (a CI run met it).
 */
function daysSince(time: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(time)) / DAY_MS));
}

/** The current join secret's age. */
export function joinSecretCheck(age: JoinSecretAgeResponse, now: Date): DoctorCheck {
  const check = 'join secret';
  const days = daysSince(age.createdAt, now);
  const detail = `set ${days} day(s) ago${age.previousValidUntil ? `; the one it replaced works until ${age.previousValidUntil}` : ''}`;
  if (days < JOIN_SECRET_WARN_DAYS) return { check, status: 'ok', detail };
  return {
    check,
    status: 'warn',
    detail: `${detail}, over ${JOIN_SECRET_WARN_DAYS} days: every builder host's .env holds it`,
    fix: 'rotate it on the admin console (Settings → Join secret) or with POST /api/v1/join-secret/rotate, then put the new one in GYRE_JOIN_SECRET and run `gyre builder join` again on each builder host before the grace period ends',
  };
}

/** GitHub's API and the commit status token, when the admin console configures GitHub. */
export function gitHubCheck(answer: GitHubCheckResponse): DoctorCheck {
  const check = 'github';
  if (!answer.configured) return { check, status: 'skip', detail: 'GitHub is not configured on the admin console' };
  const fixToken =
    'make a token that may post commit statuses (classic: scope repo:status; fine-grained: Commit statuses, read and write) and set it on the admin console (Settings → GitHub)';
  if (!answer.reachable)
    return {
      check,
      status: 'fail',
      detail: answer.problem ?? `${answer.apiUrl} does not answer`,
      fix: 'check the API URL on the admin console (Settings → GitHub) and that the services box reaches it (GYRE_HTTPS_PROXY, firewall)',
    };
  const token = answer.statusToken;
  if (token === null)
    return {
      check,
      status: 'ok',
      detail: `${answer.apiUrl} answers; no commit status token, so no statuses are posted`,
    };
  if (!token.valid || token.lacking.length > 0)
    return { check, status: 'fail', detail: answer.problem ?? 'GitHub refuses the commit status token', fix: fixToken };
  const scopes = token.scopes === null ? 'a token without classic scopes' : `scopes ${token.scopes.join(', ')}`;
  return {
    check,
    status: 'ok',
    detail: `${answer.apiUrl} answers; the commit status token is ${token.login ?? 'valid'}'s, ${scopes}`,
  };
}

/**
 * Stored webhook deliveries Gyre answered with an error (GitHub shows them failed) in the last
 * day. A delivery whose signature does not match is refused before it is stored, so it is not
 * among them: an unauthenticated sender must not be able to fill the table.
 */
export function deliveriesCheck(deliveries: readonly DeliveryResponse[], now: Date): DoctorCheck {
  const check = 'webhook deliveries';
  const recent = deliveries.filter((d) => now.getTime() - Date.parse(d.receivedAt) <= DELIVERY_WINDOW_MS);
  const failing = recent.filter((d) => d.statusCode !== null && d.statusCode >= 400);
  if (failing.length === 0)
    return { check, status: 'ok', detail: `${recent.length} in the last 24 h, none answered with an error` };
  const newest = failing[0]!;
  const where = newest.projectId === null ? 'no project' : `project ${newest.projectId}`;
  return {
    check,
    status: 'warn',
    detail: `${failing.length} of ${recent.length} in the last 24 h were answered with an error; the newest: ${newest.event} for ${where}, ${newest.statusCode} ${newest.outcome}${newest.outcomeDetail ? ` (${newest.outcomeDetail})` : ''}`,
    fix: "see the project's Deliveries page: a repository the project is not linked to, or a payload Gyre cannot read; fix the project or the hook, then redeliver from GitHub. (Deliveries with a wrong webhook secret are refused before anything is stored: GitHub's Recent Deliveries of the hook shows those.)",
  };
}
